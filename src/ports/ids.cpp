#include "ports/ids.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <array>

namespace botcore::ports {

std::string new_id(std::int64_t now_ms) {
    static const bool ready = sodium_init() >= 0;
    (void)ready;
    std::array<unsigned char, 8> random{};
    randombytes_buf(random.data(), random.size());
    std::uint64_t bits = 0;
    for (const auto byte : random) {
        bits = (bits << 8) | byte;
    }
    return fmt::format("{:012x}{:016x}", static_cast<std::uint64_t>(now_ms), bits);
}

}  // namespace botcore::ports
