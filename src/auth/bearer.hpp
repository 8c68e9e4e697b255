// The credentials of an `Authorization: Bearer <token>` header, read the same way over HTTP and
// on the WebSocket upgrade.
#pragma once

#include <optional>
#include <string_view>

namespace botcore::auth {

// The token (blanks around it ignored; the scheme in any case), or nothing when the value is not
// a bearer credential.
std::optional<std::string_view> bearer_token(std::string_view authorization);

}  // namespace botcore::auth
