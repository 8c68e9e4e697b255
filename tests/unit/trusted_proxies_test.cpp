#include "net/trusted_proxies.hpp"

#include <gtest/gtest.h>

namespace botcore::net {
namespace {

TrustedProxies trusting(std::string_view list) {
    auto parsed = TrustedProxies::parse(list);
    EXPECT_TRUE(parsed.has_value()) << parsed.error();
    return parsed.value_or(TrustedProxies{});
}

TEST(TrustedProxies, MatchesAddressesAndNetworksOfBothFamilies) {
    const auto proxies = trusting(" 127.0.0.1, 10.0.0.0/8,192.168.4.0/22 , fd00::/8, ::1");
    EXPECT_TRUE(proxies.contains("127.0.0.1"));
    EXPECT_FALSE(proxies.contains("127.0.0.2"));
    EXPECT_TRUE(proxies.contains("10.255.1.2"));
    EXPECT_FALSE(proxies.contains("11.0.0.1"));
    EXPECT_TRUE(proxies.contains("192.168.7.255"));  // /22 ends at .7.255
    EXPECT_FALSE(proxies.contains("192.168.8.0"));
    EXPECT_TRUE(proxies.contains("fd12:3456::1"));
    EXPECT_FALSE(proxies.contains("fe80::1"));
    EXPECT_TRUE(proxies.contains("::1"));
    EXPECT_TRUE(proxies.contains("::ffff:10.1.2.3"));  // an IPv4 peer of a dual-stack socket
    EXPECT_FALSE(proxies.contains("not an address"));
    EXPECT_FALSE(proxies.contains(""));
}

TEST(TrustedProxies, ZeroPrefixTrustsTheWholeFamily) {
    const auto proxies = trusting("0.0.0.0/0");
    EXPECT_TRUE(proxies.contains("203.0.113.9"));
    EXPECT_FALSE(proxies.contains("2001:db8::1"));
}

TEST(TrustedProxies, RefusesWhatIsNotAnAddressOrNetwork) {
    for (const auto* bad : {"localhost", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/8x",
                            "10.0.0.0/-1", "1.2.3", "127.0.0.1,,x", "2001:db8::1::2"}) {
        EXPECT_FALSE(TrustedProxies::parse(bad).has_value()) << bad;
    }
    EXPECT_TRUE(TrustedProxies::parse("").value().empty());
    EXPECT_TRUE(TrustedProxies::parse(" , ").value().empty());
}

TEST(TrustedProxies, TheClientIsTheFirstUntrustedHopFromThePeerBack) {
    const auto proxies = trusting("127.0.0.1, 10.0.0.0/8");
    // A balancer (trusted) behind another (trusted): the hop before them is the client; what
    // the client wrote further left is not believed.
    EXPECT_EQ(proxies.client_address("127.0.0.1", "6.6.6.6, 203.0.113.7, 10.0.0.5"), "203.0.113.7");
    EXPECT_EQ(proxies.client_address("127.0.0.1", "203.0.113.7"), "203.0.113.7");
    EXPECT_EQ(proxies.client_address("::ffff:127.0.0.1", "2001:db8::7"), "2001:db8::7");
}

TEST(TrustedProxies, AnUntrustedPeerIsTheClientWhateverItForwards) {
    const auto proxies = trusting("127.0.0.1");
    EXPECT_EQ(proxies.client_address("198.51.100.4", "203.0.113.7"), "198.51.100.4");
    EXPECT_EQ(TrustedProxies{}.client_address("127.0.0.1", "203.0.113.7"), "127.0.0.1");
}

TEST(TrustedProxies, AChainThatEndsOrBreaksLeavesTheLastTrustedHop) {
    const auto proxies = trusting("127.0.0.1, 10.0.0.0/8");
    EXPECT_EQ(proxies.client_address("127.0.0.1", ""), "127.0.0.1");
    EXPECT_EQ(proxies.client_address("127.0.0.1", "10.0.0.9"), "10.0.0.9");
    EXPECT_EQ(proxies.client_address("127.0.0.1", "203.0.113.7, unknown, 10.0.0.9"), "10.0.0.9");
    EXPECT_EQ(proxies.client_address("127.0.0.1", "203.0.113.7,"), "127.0.0.1");
}

}  // namespace
}  // namespace botcore::net
