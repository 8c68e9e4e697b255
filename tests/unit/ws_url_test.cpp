#include "net/ws_url.hpp"

#include <gtest/gtest.h>

namespace botcore::net {
namespace {

TEST(WsUrl, ReadsSchemeHostPortAndPathPrefix) {
    const auto binance = parse_ws_url("wss://stream.binance.com:9443");
    ASSERT_TRUE(binance.has_value()) << binance.error();
    EXPECT_TRUE(binance->tls);
    EXPECT_EQ(binance->host, "stream.binance.com");
    EXPECT_EQ(binance->port, "9443");
    EXPECT_EQ(binance->path, "");
    EXPECT_EQ(binance->host_header(), "stream.binance.com:9443");

    const auto local = parse_ws_url("WS://127.0.0.1:8765/binance/");
    ASSERT_TRUE(local.has_value()) << local.error();
    EXPECT_FALSE(local->tls);
    EXPECT_EQ(local->port, "8765");
    EXPECT_EQ(local->path, "/binance");
}

TEST(WsUrl, DefaultsThePortToTheSchemes) {
    EXPECT_EQ(parse_ws_url("ws://example.test")->port, "80");
    EXPECT_EQ(parse_ws_url("wss://example.test/")->port, "443");
    EXPECT_EQ(parse_ws_url("wss://example.test")->host_header(), "example.test");
}

TEST(WsUrl, TakesIpv6InBrackets) {
    const auto url = parse_ws_url("ws://[::1]:9000");
    ASSERT_TRUE(url.has_value()) << url.error();
    EXPECT_EQ(url->host, "::1");
    EXPECT_EQ(url->host_header(), "[::1]:9000");
}

TEST(WsUrl, RefusesWhatItCannotConnectTo) {
    for (const auto* bad :
         {"http://example.test", "example.test:80", "ws://", "ws://:80", "ws://host:0",
          "ws://host:65536", "ws://host:8x", "ws://host:", "ws://user@host",
          "ws://host/stream?streams=a", "ws://::1:80", "ws://[::1"}) {
        EXPECT_FALSE(parse_ws_url(bad).has_value()) << bad;
    }
}

}  // namespace
}  // namespace botcore::net
