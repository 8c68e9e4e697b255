// Spaces and tabs around what a client typed (an email, a display name, a bearer token) are not
// part of it.
#pragma once

#include <string_view>

namespace botcore::auth {

inline std::string_view trim_blanks(std::string_view text) {
    const auto blank = [](char c) { return c == ' ' || c == '\t'; };
    while (!text.empty() && blank(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && blank(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

}  // namespace botcore::auth
