#include "domain/text_list.hpp"

namespace botcore::domain {

std::string_view trim(std::string_view text) {
    constexpr std::string_view kBlank = " \t\r\n";
    const auto first = text.find_first_not_of(kBlank);
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(kBlank) - first + 1);
}

std::vector<std::string_view> split_list(std::string_view text) {
    std::vector<std::string_view> items;
    if (trim(text).empty()) {
        return items;
    }
    for (;;) {
        const auto comma = text.find(',');
        items.push_back(trim(text.substr(0, comma)));
        if (comma == std::string_view::npos) {
            return items;
        }
        text.remove_prefix(comma + 1);
    }
}

}  // namespace botcore::domain
