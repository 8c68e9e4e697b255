#include "market/tick_codec.hpp"

#include <gtest/gtest.h>

namespace botcore::market {
namespace {

using domain::Decimal;

TEST(TickCodec, RoundTripsEveryFieldExactly) {
    const std::vector<ports::Tick> ticks{
        {"BTCUSDT", *Decimal::parse("65000.12345678"), *Decimal::parse("0.5"), 1'800'000'000'123},
        {"ETHUSDT", *Decimal::parse("3000"), Decimal::from_units(0), 1'800'000'000'124},
    };
    const auto decoded = decode_ticks(encode_ticks(ticks));
    ASSERT_EQ(decoded.size(), 2u);
    for (std::size_t i = 0; i < ticks.size(); ++i) {
        EXPECT_EQ(decoded[i].symbol, ticks[i].symbol);
        EXPECT_EQ(decoded[i].price, ticks[i].price);
        EXPECT_EQ(decoded[i].volume, ticks[i].volume);
        EXPECT_EQ(decoded[i].ts_ms, ticks[i].ts_ms);
    }
    EXPECT_TRUE(decode_ticks(encode_ticks({})).empty());
}

TEST(TickCodec, SkipsMalformedEntriesAndKeepsTheRest) {
    const auto decoded = decode_ticks(
        "BTCUSDT,100,0,5;"  // good
        ",100,0,5;"         // no symbol
        "ETHUSDT,abc,0,5;"  // price not a number
        "ETHUSDT,-1,0,5;"   // not a price
        "ETHUSDT,1,-1,5;"   // negative volume
        "SOLUSDT,1,0;"      // a field short
        "BNBUSDT,7,1,9");   // good, without the last separator
    ASSERT_EQ(decoded.size(), 2u);
    EXPECT_EQ(decoded[0].symbol, "BTCUSDT");
    EXPECT_EQ(decoded[0].price, Decimal::from_units(100));
    EXPECT_EQ(decoded[1].symbol, "BNBUSDT");
    EXPECT_EQ(decoded[1].ts_ms, 9);
}

}  // namespace
}  // namespace botcore::market
