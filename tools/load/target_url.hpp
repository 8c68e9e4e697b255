// The server to load: host and port taken from an http:// URL.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace botcore::load {

struct TargetUrl {
    std::string host;         // for the resolver: no brackets around an IPv6 address
    std::string port;         // service string for the resolver
    std::string host_header;  // host[:port] as sent in Host
};

// Accepts "http://host[:port][/]". https, user info and paths are refused with a reason.
std::expected<TargetUrl, std::string> parse_target_url(std::string_view url);

}  // namespace botcore::load
