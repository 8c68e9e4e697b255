#include "ports/clock.hpp"

#include <chrono>

namespace botcore::ports {

std::int64_t SystemClock::now_ms() const {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace botcore::ports
