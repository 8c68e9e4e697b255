// Which peers may tell the client's address in X-Forwarded-For: the load balancers in front of
// the instances. Any other peer could write anything there, so its own address is the client's.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace botcore::net {

class TrustedProxies {
  public:
    // A comma-separated list of addresses and CIDR networks ("127.0.0.1, 10.0.0.0/8, ::1");
    // empty: trust no one.
    static std::expected<TrustedProxies, std::string> parse(std::string_view list);

    bool empty() const { return networks_.empty(); }
    bool contains(std::string_view address) const;

    // The client's address for a request from peer carrying forwarded_for (every
    // X-Forwarded-For value, joined by commas): walking the chain from the peer back, the
    // first hop that is not a trusted proxy. A hop that is not an address ends the walk at the
    // last trusted one.
    std::string client_address(std::string_view peer, std::string_view forwarded_for) const;

  private:
    struct Network {
        bool v6 = false;
        std::array<std::uint8_t, 16> bytes{};
        int prefix_bits = 0;
    };
    std::vector<Network> networks_;
};

}  // namespace botcore::net
