#include "net/ws_url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace botcore::net {

namespace {

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

}  // namespace

std::string WsUrl::host_header() const {
    const auto name = host.find(':') == std::string::npos ? host : "[" + host + "]";
    const bool default_port = port == (tls ? "443" : "80");
    return default_port ? name : name + ":" + port;
}

std::expected<WsUrl, std::string> parse_ws_url(std::string_view url) {
    const auto fail = [url](std::string_view why) {
        return std::unexpected("'" + std::string(url) + "': " + std::string(why));
    };
    WsUrl out;
    if (starts_with_nocase(url, "wss://")) {
        out.tls = true;
        url.remove_prefix(6);
    } else if (starts_with_nocase(url, "ws://")) {
        url.remove_prefix(5);
    } else {
        return fail("not a ws:// or wss:// URL");
    }
    if (url.find_first_of("?#") != std::string_view::npos) {
        return fail("a query or fragment is not allowed (the streams are added to the path)");
    }
    const auto slash = url.find('/');
    const auto authority = url.substr(0, slash);
    std::string_view path =
        slash == std::string_view::npos ? std::string_view{} : url.substr(slash);
    if (authority.find('@') != std::string_view::npos) {
        return fail("user info is not allowed");
    }
    std::string_view host;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return fail("unterminated IPv6 address");
        }
        host = authority.substr(1, close - 1);
        const auto rest = authority.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') {
            return fail("unexpected text after the IPv6 address");
        }
        port = rest.empty() ? rest : rest.substr(1);
    } else {
        const auto colon = authority.find(':');
        host = authority.substr(0, colon);
        port = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon + 1);
        if (port.find(':') != std::string_view::npos) {
            return fail("an IPv6 address must be in brackets");
        }
    }
    if (host.empty()) {
        return fail("no host");
    }
    if (port.empty() && authority.find(':') != std::string_view::npos) {
        return fail("empty port");
    }
    if (!port.empty()) {
        int number = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
        if (ec != std::errc{} || end != port.data() + port.size() || number < 1 || number > 65535) {
            return fail("the port must be a number in 1..65535");
        }
    }
    while (!path.empty() && path.back() == '/') {
        path.remove_suffix(1);
    }
    out.host = std::string(host);
    out.port = port.empty() ? (out.tls ? "443" : "80") : std::string(port);
    out.path = std::string(path);
    return out;
}

}  // namespace botcore::net
