#include "auth/bearer.hpp"

#include <algorithm>

#include "auth/blanks.hpp"

namespace botcore::auth {

std::optional<std::string_view> bearer_token(std::string_view authorization) {
    constexpr std::string_view kScheme = "Bearer ";
    if (authorization.size() <= kScheme.size() ||
        !std::equal(kScheme.begin(), kScheme.end(), authorization.begin(),
                    [](char a, char b) { return (a | 0x20) == (b | 0x20); })) {
        return std::nullopt;
    }
    const auto token = trim_blanks(authorization.substr(kScheme.size()));
    if (token.empty()) {
        return std::nullopt;
    }
    return token;
}

}  // namespace botcore::auth
