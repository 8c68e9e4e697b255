#include "target_url.hpp"

#include <algorithm>
#include <cctype>

namespace botcore::load {

std::expected<TargetUrl, std::string> parse_target_url(std::string_view url) {
    constexpr std::string_view kScheme = "http://";
    if (!url.starts_with(kScheme)) {
        return std::unexpected("only http:// URLs are supported (the tool speaks no TLS)");
    }
    std::string_view authority = url.substr(kScheme.size());
    if (authority.ends_with('/')) {
        authority.remove_suffix(1);
    }
    if (authority.empty() || authority.find_first_of("/@?#") != std::string_view::npos) {
        return std::unexpected("expected http://host[:port] without a path");
    }

    TargetUrl target;
    std::string_view port;
    if (authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return std::unexpected("unterminated IPv6 address");
        }
        target.host = std::string(authority.substr(1, close - 1));
        const auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return std::unexpected("unexpected text after the IPv6 address");
            }
            port = rest.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        target.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
        }
    }
    if (target.host.empty()) {
        return std::unexpected("missing host");
    }
    const bool has_port = authority.back() != ']' && authority.find(':') != std::string_view::npos;
    target.port = has_port ? std::string(port) : "80";
    const bool numeric = !target.port.empty() && target.port.size() <= 5 &&
                         std::all_of(target.port.begin(), target.port.end(), [](char c) {
                             return std::isdigit(static_cast<unsigned char>(c));
                         });
    if (!numeric || std::stoi(target.port) == 0 || std::stoi(target.port) > 65535) {
        return std::unexpected("port must be a number up to 65535");
    }
    target.host_header = std::string(authority);
    return target;
}

}  // namespace botcore::load
