#include "auth/bearer.hpp"

#include <algorithm>

namespace botcore::auth {

namespace {
bool blank(char c) {
    return c == ' ' || c == '\t';
}
}  // namespace

std::optional<std::string_view> bearer_token(std::string_view authorization) {
    constexpr std::string_view kScheme = "Bearer ";
    if (authorization.size() <= kScheme.size() ||
        !std::equal(kScheme.begin(), kScheme.end(), authorization.begin(),
                    [](char a, char b) { return (a | 0x20) == (b | 0x20); })) {
        return std::nullopt;
    }
    auto token = authorization.substr(kScheme.size());
    while (!token.empty() && blank(token.front())) {
        token.remove_prefix(1);
    }
    while (!token.empty() && blank(token.back())) {
        token.remove_suffix(1);
    }
    if (token.empty()) {
        return std::nullopt;
    }
    return token;
}

}  // namespace botcore::auth
