#include "net/trusted_proxies.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "domain/text_list.hpp"

namespace botcore::net {
namespace {

struct Address {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};
};

std::optional<Address> parse_address(std::string_view text) {
    if (text.size() > INET6_ADDRSTRLEN) {
        return std::nullopt;
    }
    const std::string terminated(text);
    Address address;
    if (inet_pton(AF_INET, terminated.c_str(), address.bytes.data()) == 1) {
        return address;
    }
    if (inet_pton(AF_INET6, terminated.c_str(), address.bytes.data()) != 1) {
        return std::nullopt;
    }
    // An IPv4 peer of a dual-stack socket (::ffff:a.b.c.d) is that IPv4 address.
    constexpr std::array<std::uint8_t, 12> kMapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(kMapped.begin(), kMapped.end(), address.bytes.begin())) {
        std::copy_n(address.bytes.begin() + 12, 4, address.bytes.begin());
        std::fill(address.bytes.begin() + 4, address.bytes.end(), 0);
        return address;
    }
    address.v6 = true;
    return address;
}

bool prefix_matches(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                    int bits) {
    int i = 0;
    for (; bits >= 8; bits -= 8, ++i) {
        if (a[static_cast<std::size_t>(i)] != b[static_cast<std::size_t>(i)]) {
            return false;
        }
    }
    if (bits == 0) {
        return true;
    }
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
    return (a[static_cast<std::size_t>(i)] & mask) == (b[static_cast<std::size_t>(i)] & mask);
}

}  // namespace

std::expected<TrustedProxies, std::string> TrustedProxies::parse(std::string_view list) {
    TrustedProxies out;
    for (const auto entry : domain::split_list(list)) {
        if (entry.empty()) {
            continue;  // "a, b," or "a,,b"
        }
        const auto slash = entry.find('/');
        const auto address = parse_address(entry.substr(0, slash));
        if (!address) {
            return std::unexpected("'" + std::string(entry) +
                                   "' is not an IPv4 or IPv6 address or network");
        }
        const int max_bits = address->v6 ? 128 : 32;
        int bits = max_bits;
        if (slash != std::string_view::npos) {
            const auto digits = entry.substr(slash + 1);
            const auto [end, ec] =
                std::from_chars(digits.data(), digits.data() + digits.size(), bits);
            if (ec != std::errc{} || end != digits.data() + digits.size() || bits < 0 ||
                bits > max_bits) {
                return std::unexpected("'" + std::string(entry) +
                                       "' has a prefix length outside 0.." +
                                       std::to_string(max_bits));
            }
        }
        out.networks_.push_back({address->v6, address->bytes, bits});
    }
    return out;
}

bool TrustedProxies::contains(std::string_view text) const {
    const auto address = parse_address(domain::trim(text));
    if (!address) {
        return false;
    }
    for (const auto& network : networks_) {
        if (network.v6 == address->v6 &&
            prefix_matches(network.bytes, address->bytes, network.prefix_bits)) {
            return true;
        }
    }
    return false;
}

std::string TrustedProxies::client_address(std::string_view peer,
                                           std::string_view forwarded_for) const {
    std::string_view client = peer;
    while (contains(client)) {
        const auto comma = forwarded_for.rfind(',');
        const bool last = comma == std::string_view::npos;
        const auto hop = domain::trim(last ? forwarded_for : forwarded_for.substr(comma + 1));
        if (!parse_address(hop)) {
            break;  // none left, or not an address: the trusted proxy is as far as we can see
        }
        client = hop;
        forwarded_for = last ? std::string_view{} : forwarded_for.substr(0, comma);
    }
    return std::string(client);
}

}  // namespace botcore::net
