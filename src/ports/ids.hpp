// Identifiers for users, orders, positions and trades: opaque, unique, and ordered by time of
// creation — 12 hex digits of milliseconds, 8 of a sequence that orders the ids one generator
// makes within a millisecond, and 8 random ones so that generators never collide.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace botcore::ports {

class IdGenerator {
  public:
    IdGenerator();
    std::string next(std::int64_t now_ms);

  private:
    std::atomic<std::uint32_t> sequence_{0};
};

}  // namespace botcore::ports
