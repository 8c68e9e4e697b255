// ws:// and wss:// URLs as a WebSocket client needs them: where to connect and what to ask for.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace botcore::net {

struct WsUrl {
    bool tls = false;  // wss://
    std::string host;  // a name or an address, IPv6 without its brackets
    std::string port;  // the URL's, or 80 (ws) / 443 (wss)
    std::string path;  // a prefix for the request target, without a trailing '/'; may be empty

    // The Host header: the port only when it is not the scheme's default.
    std::string host_header() const;
};

// Refuses other schemes, user info, queries and fragments, and ports outside 1..65535.
std::expected<WsUrl, std::string> parse_ws_url(std::string_view url);

}  // namespace botcore::net
