// Text helpers the configuration and data parsers share: trimming, and comma-separated lists.
#pragma once

#include <string_view>
#include <vector>

namespace botcore::domain {

// text without the spaces, tabs and line ends around it.
std::string_view trim(std::string_view text);

// The items of a comma-separated list, each trimmed: blank text has none, and "a,,b" or "a,"
// has an empty item (callers decide whether that is an error).
std::vector<std::string_view> split_list(std::string_view text);

}  // namespace botcore::domain
