#include "analysis/indicator_snapshot.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "analysis_test_support.hpp"

namespace botcore::analysis {
namespace {

constexpr double kTol = 1e-9;

TEST(IndicatorSnapshot, NoCandlesGiveAnEmptySnapshot) {
    const auto s = take_snapshot({});
    EXPECT_EQ(s.bars, 0u);
    EXPECT_FALSE(s.close);
    EXPECT_FALSE(s.rsi);
    EXPECT_FALSE(s.macd_histogram);
    EXPECT_FALSE(s.ema_slow);
}

TEST(IndicatorSnapshot, ATrailingCandleStillBeingBuiltIsLeftOut) {
    auto candles = candles_from_closes(linear(20, 1.0, 1.0));
    candles.push_back(
        market::Candle{20 * 300'000, dec(20), dec(1000), dec(20), dec(1000), dec(5), false});
    const auto s = take_snapshot(candles);
    EXPECT_EQ(s.bars, 20u);
    EXPECT_DOUBLE_EQ(*s.close, 20.0);
    EXPECT_DOUBLE_EQ(*s.open, 19.0);
}

TEST(IndicatorSnapshot, EachValueAppearsOnceThereAreEnoughCandles) {
    // Defaults: RSI needs 15 candles, the MACD histogram 34 (26 + 9 - 1) and its previous value 35,
    // %D 16 (14 + 3 - 1) and its previous value 17, ADX 28 (2 * 14), EMA 50 fifty.
    const auto closes = linear(60, 100.0, 0.5);
    const auto at = [&](std::size_t n) {
        const auto all = candles_from_closes(closes);
        return take_snapshot(std::span(all).first(n));
    };
    EXPECT_FALSE(at(14).rsi);
    EXPECT_TRUE(at(15).rsi);
    EXPECT_FALSE(at(33).macd_histogram);
    EXPECT_TRUE(at(34).macd_histogram);
    EXPECT_FALSE(at(34).prev_macd_histogram);
    EXPECT_TRUE(at(35).prev_macd_histogram);
    EXPECT_FALSE(at(15).stochastic_d);
    EXPECT_TRUE(at(16).stochastic_d);
    EXPECT_FALSE(at(16).prev_stochastic_d);
    EXPECT_TRUE(at(17).prev_stochastic_d);
    EXPECT_FALSE(at(27).adx);
    EXPECT_TRUE(at(28).adx);
    EXPECT_FALSE(at(49).ema_slow);
    EXPECT_TRUE(at(50).ema_slow);
}

TEST(IndicatorSnapshot, FallingClosesHaveRsiZeroAndRisingOnesHundred) {
    EXPECT_NEAR(*take_snapshot(candles_from_closes(linear(30, 100.0, -1.0))).rsi, 0.0, kTol);
    EXPECT_NEAR(*take_snapshot(candles_from_closes(linear(30, 100.0, 1.0))).rsi, 100.0, kTol);
}

TEST(IndicatorSnapshot, ConstantClosesCollapseTheBandsOnThePrice) {
    const auto s = take_snapshot(candles_from_closes(std::vector<double>(25, 42.0)));
    EXPECT_NEAR(*s.bollinger_upper, 42.0, kTol);
    EXPECT_NEAR(*s.bollinger_middle, 42.0, kTol);
    EXPECT_NEAR(*s.bollinger_lower, 42.0, kTol);
}

TEST(IndicatorSnapshot, AtrOfOneUnitCandlesAveragesTheFirstTrueRanges) {
    // The first candle has no range (open = close), each later one a range of 1: ATR(14) on exactly
    // 14 candles is (0 + 13 * 1) / 14.
    const auto s = take_snapshot(candles_from_closes(linear(14, 50.0, 1.0)));
    EXPECT_NEAR(*s.atr, 13.0 / 14.0, kTol);
}

TEST(IndicatorSnapshot, ZeroVolumeLeavesTheVolumeRatioEmptyRatherThanNaN) {
    const auto s = take_snapshot(candles_from_closes(linear(30, 10.0, 1.0), 0.0));
    EXPECT_FALSE(s.volume_ratio);
    EXPECT_TRUE(s.rsi);
}

TEST(IndicatorSnapshot, OnlyTheSelectedIndicatorsAreComputed) {
    auto selection = IndicatorSelection::none();
    selection.rsi = true;
    const auto s = take_snapshot(candles_from_closes(linear(60, 10.0, 1.0)), {}, selection);
    EXPECT_TRUE(s.rsi);
    EXPECT_TRUE(s.close);
    EXPECT_FALSE(s.macd);
    EXPECT_FALSE(s.bollinger_upper);
    EXPECT_FALSE(s.stochastic_k);
    EXPECT_FALSE(s.volume_ratio);
    EXPECT_FALSE(s.atr);
    EXPECT_FALSE(s.adx);
    EXPECT_FALSE(s.ema_fast);
}

TEST(IndicatorSnapshot, PeriodsComeFromTheParams) {
    IndicatorParams params;
    params.rsi_period = 3;
    params.ema_slow = 5;
    const auto s = take_snapshot(candles_from_closes(linear(5, 10.0, 1.0)), params);
    EXPECT_TRUE(s.rsi);
    ASSERT_TRUE(s.ema_slow);
    EXPECT_NEAR(*s.ema_slow, 12.0, kTol);  // the seed: mean of 10..14
}

}  // namespace
}  // namespace botcore::analysis
