// Opaque page cursors for keyset pagination: the (time, id) of the last item served, so the
// next page starts strictly after it and stays stable while new rows are inserted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace botcore::api {

struct CursorPosition {
    std::int64_t time_ms = 0;
    std::string id;
    bool operator==(const CursorPosition&) const = default;
};

std::string encode_cursor(const CursorPosition& position);
// nullopt for anything encode_cursor did not produce.
std::optional<CursorPosition> decode_cursor(std::string_view cursor);

}  // namespace botcore::api
