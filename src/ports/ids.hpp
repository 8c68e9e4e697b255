// Identifiers for users, orders, positions and trades: opaque, unique, and ordered by time of
// creation (12 hex digits of milliseconds, then 16 random hex digits).
#pragma once

#include <cstdint>
#include <string>

namespace botcore::ports {

std::string new_id(std::int64_t now_ms);

}  // namespace botcore::ports
