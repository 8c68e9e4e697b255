#include "realtime/channel.hpp"

#include <gtest/gtest.h>

namespace botcore::realtime {
namespace {

const auto& catalog() {
    return domain::SymbolCatalog::default_catalog();
}

TEST(Channel, PricesCandlesSignalsAndAccountAreRecognised) {
    EXPECT_EQ(parse_channel("prices:BTCUSDT", catalog())->kind, ChannelKind::kPrices);
    EXPECT_EQ(parse_channel("candles:ETHUSDT:15m", catalog())->kind, ChannelKind::kCandles);
    EXPECT_EQ(parse_channel("signals:SOLUSDT", catalog())->kind, ChannelKind::kSignals);
    EXPECT_EQ(parse_channel("account", catalog())->kind, ChannelKind::kAccount);
    EXPECT_EQ(parse_channel("candles:ETHUSDT:1h", catalog())->key, "candles:ETHUSDT:1h");
}

TEST(Channel, UnknownSymbolIsNamedInTheError) {
    const auto channel = parse_channel("prices:DOGEBTC", catalog());
    ASSERT_FALSE(channel);
    EXPECT_NE(channel.error().find("DOGEBTC"), std::string::npos);
}

TEST(Channel, LowerCaseSymbolsAreNotCatalogSymbols) {
    EXPECT_FALSE(parse_channel("prices:btcusdt", catalog()));
}

TEST(Channel, IntervalsOtherThanTheFourAreRefused) {
    EXPECT_FALSE(parse_channel("candles:BTCUSDT:30m", catalog()));
    EXPECT_FALSE(parse_channel("candles:BTCUSDT", catalog()));
}

TEST(Channel, MalformedNamesAreRefused) {
    for (const auto* bad : {"", "prices", "prices:", "account:BTCUSDT", "trades:BTCUSDT",
                            "prices:BTCUSDT:1m", "candles:BTCUSDT:1m:x", ":"}) {
        EXPECT_FALSE(parse_channel(bad, catalog())) << bad;
    }
    EXPECT_FALSE(parse_channel(std::string(100, 'a'), catalog()));
}

TEST(Channel, BuildersMatchTheParser) {
    EXPECT_EQ(parse_channel(prices_channel("BTCUSDT"), catalog())->key, "prices:BTCUSDT");
    EXPECT_EQ(parse_channel(candles_channel("BTCUSDT", "5m"), catalog())->key,
              "candles:BTCUSDT:5m");
    EXPECT_EQ(parse_channel(signals_channel("BTCUSDT"), catalog())->key, "signals:BTCUSDT");
}

}  // namespace
}  // namespace botcore::realtime
