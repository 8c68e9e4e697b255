#include "realtime/websocket_frame.hpp"

#include <cstdint>

namespace botcore::realtime {

std::string text_frame(std::string_view text) {
    constexpr unsigned char kFinalText = 0x81;
    const std::uint64_t size = text.size();
    std::string frame;
    frame.reserve(10 + text.size());
    frame.push_back(static_cast<char>(kFinalText));
    // The payload length in the fewest bytes: 7 bits, or 126 then 16 bits, or 127 then 64
    // bits, both in network order.
    int length_bytes = 0;
    if (size < 126) {
        frame.push_back(static_cast<char>(size));
    } else if (size <= 0xFFFF) {
        frame.push_back(static_cast<char>(126));
        length_bytes = 2;
    } else {
        frame.push_back(static_cast<char>(127));
        length_bytes = 8;
    }
    for (int shift = 8 * (length_bytes - 1); shift >= 0; shift -= 8) {
        frame.push_back(static_cast<char>((size >> shift) & 0xFF));
    }
    frame.append(text);
    return frame;
}

}  // namespace botcore::realtime
