// Opaque page cursors for keyset pagination: the id of the last item served (ids are ordered
// by creation), so the next page starts strictly after it and stays stable while new rows
// are inserted.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace botcore::api {

std::string encode_cursor(std::string_view last_id);
// The id, or nullopt for anything encode_cursor did not produce.
std::optional<std::string> decode_cursor(std::string_view cursor);

}  // namespace botcore::api
