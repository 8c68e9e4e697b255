#include "api/cursor.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace botcore::api {

namespace {
constexpr std::string_view kPrefix = "after:";
constexpr std::size_t kMaxIdLength = 64;
}  // namespace

std::string encode_cursor(std::string_view last_id) {
    const std::string plain = std::string(kPrefix) + std::string(last_id);
    std::string out(
        sodium_base64_encoded_len(plain.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(plain.data()),
                      plain.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(out.find('\0'));
    return out;
}

std::optional<std::string> decode_cursor(std::string_view cursor) {
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
    if (!text.starts_with(kPrefix) || text.size() == kPrefix.size()) {
        return std::nullopt;
    }
    // Only what an id can be: a cursor this API did not make is refused, not read as a position.
    const auto id = text.substr(kPrefix.size());
    const bool id_like =
        id.size() <= kMaxIdLength && std::all_of(id.begin(), id.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
        });
    if (!id_like) {
        return std::nullopt;
    }
    return std::string(id);
}

}  // namespace botcore::api
