#include "market/candles.hpp"

#include <gtest/gtest.h>

namespace botcore::market {
namespace {

using domain::Decimal;

Decimal d(std::string_view text) {
    return *Decimal::parse(text);
}

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kT0 = 1'795'000'020'000 - (1'795'000'020'000 % 3'600'000);  // on the hour

TEST(Candles, TicksOfOneMinuteMakeOneCandleWithOpenHighLowCloseAndVolume) {
    CandleAggregator candles;
    candles.on_tick(d("100"), d("1"), kT0 + 1000);
    candles.on_tick(d("105"), d("2"), kT0 + 20'000);
    candles.on_tick(d("98"), d("0.5"), kT0 + 40'000);
    candles.on_tick(d("101"), d("1"), kT0 + 59'999);
    const auto& candle = candles.current(Interval::k1m);
    ASSERT_TRUE(candle.has_value());
    EXPECT_EQ(*candle, (Candle{kT0, d("100"), d("105"), d("98"), d("101"), d("4.5"), false}));
}

TEST(Candles, TheFirstTickOfTheNextMinuteClosesTheCandle) {
    CandleAggregator candles;
    candles.on_tick(d("100"), d("1"), kT0);
    const auto closed = candles.on_tick(d("102"), d("1"), kT0 + kMinute);
    ASSERT_EQ(closed.size(), 1u);
    EXPECT_EQ(closed[0].interval, Interval::k1m);
    EXPECT_TRUE(closed[0].candle.closed);
    EXPECT_EQ(closed[0].candle.close, d("100"));
    EXPECT_EQ(candles.current(Interval::k1m)->open_ms, kT0 + kMinute);
    EXPECT_EQ(candles.current(Interval::k1m)->open, d("102"));
}

TEST(Candles, LongerIntervalsCloseOnTheirOwnBoundaries) {
    CandleAggregator candles;
    std::vector<Interval> closed_at_5m;
    for (int minute = 0; minute <= 5; ++minute) {
        for (const auto& c : candles.on_tick(d("100"), d("1"), kT0 + minute * kMinute)) {
            if (minute == 5) {
                closed_at_5m.push_back(c.interval);
            }
        }
    }
    EXPECT_EQ(closed_at_5m, (std::vector<Interval>{Interval::k1m, Interval::k5m}));
    EXPECT_EQ(candles.current(Interval::k15m)->volume, d("6"));
    EXPECT_EQ(candles.current(Interval::k1h)->open_ms, kT0);
}

TEST(Candles, AGapLeavesNoEmptyCandles) {
    CandleAggregator candles;
    candles.on_tick(d("100"), d("1"), kT0);
    const auto closed = candles.on_tick(d("90"), d("1"), kT0 + 3 * kMinute + 5);
    ASSERT_EQ(closed.size(), 1u);  // only the 1m candle that had ticks
    EXPECT_EQ(candles.current(Interval::k1m)->open_ms, kT0 + 3 * kMinute);
}

TEST(Candles, ALateTickIsIgnored) {
    CandleAggregator candles;
    candles.on_tick(d("100"), d("1"), kT0 + kMinute);
    EXPECT_TRUE(candles.on_tick(d("1"), d("1"), kT0 + 10).empty());
    EXPECT_EQ(candles.current(Interval::k1m)->low, d("100"));
}

TEST(Candles, ATickOlderThanTheNewestChangesNoInterval) {
    CandleAggregator candles;
    candles.on_tick(d("100"), d("1"), kT0 + 2 * kMinute + 30'000);
    candles.on_tick(d("101"), d("1"), kT0 + 2 * kMinute + 40'000);
    // Inside the current hour but before the current minute, then inside the current minute.
    EXPECT_TRUE(candles.on_tick(d("50"), d("7"), kT0 + kMinute).empty());
    EXPECT_TRUE(candles.on_tick(d("99"), d("7"), kT0 + 2 * kMinute + 35'000).empty());
    for (const auto interval : kIntervals) {
        const auto& candle = *candles.current(interval);
        EXPECT_EQ(candle.low, d("100")) << to_string(interval);
        EXPECT_EQ(candle.close, d("101")) << to_string(interval);
        EXPECT_EQ(candle.volume, d("2")) << to_string(interval);
    }
    // Ticks of the same millisecond all count.
    candles.on_tick(d("102"), d("1"), kT0 + 2 * kMinute + 40'000);
    EXPECT_EQ(candles.current(Interval::k1h)->close, d("102"));
}

TEST(Candles, OnlyTheFirstCandleOfAnAggregatorMayHaveMissedTicks) {
    CandleAggregator candles;
    candles.on_tick(d("100"), d("1"), kT0 + 30'000);
    const auto first = candles.on_tick(d("101"), d("1"), kT0 + kMinute);
    ASSERT_EQ(first.size(), 1u);
    EXPECT_FALSE(first[0].whole);
    const auto second = candles.on_tick(d("102"), d("1"), kT0 + 5 * kMinute);
    ASSERT_EQ(second.size(), 2u);  // 1m and the first 5m
    EXPECT_TRUE(second[0].whole);
    EXPECT_EQ(second[1].candle.open_ms, kT0);
    EXPECT_FALSE(second[1].whole);
}

TEST(Candles, AQuietSymbolsCandleClosesOnceTheFeedsTimePassesItsEnd) {
    CandleAggregator candles;
    candles.on_tick(d("100"), d("1"), kT0 + 1000);
    candles.on_tick(d("101"), d("1"), kT0 + 2000);
    EXPECT_TRUE(candles.close_until(kT0 + kMinute - 1).empty());
    const auto closed = candles.close_until(kT0 + kMinute);
    ASSERT_EQ(closed.size(), 1u);
    EXPECT_EQ(closed[0].interval, Interval::k1m);
    EXPECT_EQ(closed[0].candle,
              (Candle{kT0, d("100"), d("101"), d("100"), d("101"), d("2"), true}));
    EXPECT_FALSE(candles.current(Interval::k1m).has_value());
    EXPECT_EQ(candles.current(Interval::k5m)->close, d("101"));
    // Closed once: neither a later time nor the next tick closes it again.
    EXPECT_TRUE(candles.close_until(kT0 + kMinute + 10).empty());
    EXPECT_TRUE(candles.on_tick(d("102"), d("1"), kT0 + 2 * kMinute).empty());
    EXPECT_EQ(candles.current(Interval::k1m)->open_ms, kT0 + 2 * kMinute);
    // Every interval that ended goes at once.
    EXPECT_EQ(candles.close_until(kT0 + 3'600'000).size(), 4u);
}

TEST(Candles, ATickInsideACandleClosedByTimeIsIgnoredAndALaterOneOpensTheNext) {
    CandleAggregator candles;
    candles.on_tick(d("100"), d("1"), kT0 + 1000);
    ASSERT_EQ(candles.close_until(kT0 + kMinute + 5000).size(), 1u);
    EXPECT_TRUE(candles.on_tick(d("1"), d("1"), kT0 + kMinute - 1).empty());
    EXPECT_FALSE(candles.current(Interval::k1m).has_value());
    EXPECT_EQ(candles.current(Interval::k5m)->low, d("100"));
    // After the closed candle's end but before the time that closed it: the next candle.
    candles.on_tick(d("99"), d("1"), kT0 + kMinute + 1000);
    EXPECT_EQ(candles.current(Interval::k1m)->open_ms, kT0 + kMinute);
    EXPECT_EQ(candles.current(Interval::k5m)->low, d("99"));
}

TEST(Candles, IntervalsParseFromTheirNames) {
    for (const auto interval : kIntervals) {
        EXPECT_EQ(parse_interval(to_string(interval)), interval);
    }
    EXPECT_EQ(parse_interval("2m"), std::nullopt);
    EXPECT_EQ(interval_ms(Interval::k15m), 15 * kMinute);
}

}  // namespace
}  // namespace botcore::market
