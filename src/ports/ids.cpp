#include "ports/ids.hpp"

#include <fmt/format.h>
#include <sodium.h>

namespace botcore::ports {

IdGenerator::IdGenerator() {
    if (sodium_init() < 0) {
        throw std::runtime_error("libsodium could not be initialised");
    }
}

std::string IdGenerator::next(std::int64_t now_ms) {
    const auto sequence = sequence_.fetch_add(1, std::memory_order_relaxed);
    return fmt::format("{:012x}{:08x}{:08x}", static_cast<std::uint64_t>(now_ms), sequence,
                       randombytes_random());
}

}  // namespace botcore::ports
