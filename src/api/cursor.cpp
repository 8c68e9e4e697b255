#include "api/cursor.hpp"

#include <sodium.h>

#include <charconv>
#include <vector>

namespace botcore::api {

std::string encode_cursor(const CursorPosition& position) {
    const std::string plain = std::to_string(position.time_ms) + ":" + position.id;
    std::string out(
        sodium_base64_encoded_len(plain.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(plain.data()),
                      plain.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(out.find('\0'));
    return out;
}

std::optional<CursorPosition> decode_cursor(std::string_view cursor) {
    if (cursor.empty() || cursor.size() > 256) {
        return std::nullopt;
    }
    std::vector<unsigned char> plain(cursor.size());
    std::size_t length = 0;
    if (sodium_base642bin(plain.data(), plain.size(), cursor.data(), cursor.size(), nullptr,
                          &length, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
        return std::nullopt;
    }
    const std::string_view text(reinterpret_cast<const char*>(plain.data()), length);
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon + 1 >= text.size()) {
        return std::nullopt;
    }
    CursorPosition position;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + colon, position.time_ms);
    if (ec != std::errc{} || end != text.data() + colon) {
        return std::nullopt;
    }
    position.id = std::string(text.substr(colon + 1));
    return position;
}

}  // namespace botcore::api
