#include "analysis/signal.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "analysis_test_support.hpp"

namespace botcore::analysis {
namespace {

using market::Interval;

constexpr double kTol = 1e-9;

// Every indicator present; by itself every strategy is neutral and there is no trend.
IndicatorSnapshot quiet_snapshot() {
    IndicatorSnapshot s;
    s.bars = 100;
    s.open = 100.0;
    s.close = 100.0;
    s.rsi = 50.0;
    s.macd = 0.0;
    s.macd_signal = 0.0;
    s.macd_histogram = 0.0;
    s.prev_macd_histogram = 0.0;
    s.bollinger_upper = 110.0;
    s.bollinger_middle = 100.0;
    s.bollinger_lower = 90.0;
    s.stochastic_k = 50.0;
    s.stochastic_d = 50.0;
    s.prev_stochastic_k = 50.0;
    s.prev_stochastic_d = 50.0;
    s.atr = 2.0;
    s.adx = 5.0;
    s.ema_fast = 100.0;
    s.ema_slow = 100.0;
    s.volume_ratio = 1.0;
    return s;
}

TEST(TimeframeWeight, FiveMinutesOneFifteenHalfHourTwoMinuteNothing) {
    EXPECT_EQ(timeframe_weight(Interval::k1m), 0.0);
    EXPECT_EQ(timeframe_weight(Interval::k5m), 1.0);
    EXPECT_EQ(timeframe_weight(Interval::k15m), 0.5);
    EXPECT_EQ(timeframe_weight(Interval::k1h), 2.0);
}

TEST(AnalyzeTimeframe, QuietMarketIsNeutral) {
    const auto tf = analyze_timeframe(Interval::k15m, quiet_snapshot());
    EXPECT_TRUE(tf.ready);
    EXPECT_EQ(tf.vote, Direction::kNeutral);
    EXPECT_NEAR(tf.score, 0.0, kTol);
    EXPECT_EQ(tf.confidence, 0.0);
    EXPECT_EQ(tf.weight, 0.5);
    EXPECT_EQ(tf.indicators.ema_trend, Direction::kNeutral);
    EXPECT_NEAR(*tf.indicators.bollinger_position, 0.5, kTol);
}

TEST(AnalyzeTimeframe, MacdAndAnUptrendMakeItBullish) {
    auto s = quiet_snapshot();
    s.macd = 1.0;
    s.macd_signal = 0.5;
    s.macd_histogram = 0.5;  // full strength: 0.1% of 100 is 0.1
    s.prev_macd_histogram = 0.4;
    s.adx = 25.0;  // trend strength (25 - 10) / 30 = 0.5
    s.ema_fast = 101.0;
    const auto tf = analyze_timeframe(Interval::k5m, s);
    // (1 + 2 * 0.5) / 7
    EXPECT_NEAR(tf.score, 2.0 / 7.0, kTol);
    EXPECT_EQ(tf.vote, Direction::kBullish);
    EXPECT_NEAR(tf.confidence, (2.0 / 7.0) / 0.5, kTol);
    EXPECT_EQ(tf.indicators.ema_trend, Direction::kBullish);
    EXPECT_NEAR(*tf.indicators.macd_histogram, 0.5, kTol);
    EXPECT_NEAR(*tf.indicators.adx, 25.0, kTol);
    EXPECT_EQ(tf.votes[Strategy::kMacd].direction, Direction::kBullish);
}

TEST(AnalyzeTimeframe, AWeakScoreStaysNeutral) {
    auto s = quiet_snapshot();
    s.macd_histogram = 0.02;  // strength 0.2: confidence 0.6
    s.prev_macd_histogram = 0.01;
    s.ema_fast = 101.0;  // an uptrend, but ADX 5 is no trend at all
    const auto tf = analyze_timeframe(Interval::k5m, s);
    EXPECT_NEAR(tf.score, 0.6 / 7.0, kTol);
    EXPECT_EQ(tf.vote, Direction::kNeutral);
    EXPECT_EQ(tf.confidence, 0.0);
}

TEST(AnalyzeTimeframe, OverboughtFallingMarketIsBearishWithCappedConfidence) {
    auto s = quiet_snapshot();
    s.rsi = 85.0;  // bearish 0.75
    s.macd_histogram = -0.5;
    s.prev_macd_histogram = -0.4;  // bearish 1
    s.adx = 40.0;
    s.ema_fast = 99.0;  // full downtrend
    const auto tf = analyze_timeframe(Interval::k1h, s);
    EXPECT_NEAR(tf.score, -(0.75 + 1.0 + 2.0) / 7.0, kTol);
    EXPECT_EQ(tf.vote, Direction::kBearish);
    EXPECT_NEAR(tf.confidence, 1.0, kTol);
    EXPECT_EQ(tf.indicators.ema_trend, Direction::kBearish);
}

TEST(AnalyzeTimeframe, MissingIndicatorsMakeItNotReady) {
    auto s = quiet_snapshot();
    s.rsi = 10.0;
    s.ema_slow.reset();
    const auto tf = analyze_timeframe(Interval::k5m, s);
    EXPECT_FALSE(tf.ready);
    EXPECT_EQ(tf.vote, Direction::kNeutral);
    EXPECT_EQ(tf.score, 0.0);
    EXPECT_FALSE(tf.indicators.ema_trend);
    // the votes are still reported
    EXPECT_EQ(tf.votes[Strategy::kRsi].direction, Direction::kBullish);
}

TEST(AnalyzeTimeframe, OnCandlesFiftyAreNeededForEma50) {
    const auto candles = candles_from_closes(linear(60, 100.0, 0.5));
    EXPECT_FALSE(analyze_timeframe(Interval::k5m, std::span(candles).first(49)).ready);
    const auto tf = analyze_timeframe(Interval::k5m, std::span(candles).first(50));
    EXPECT_TRUE(tf.ready);
    EXPECT_EQ(tf.indicators.ema_trend, Direction::kBullish);
    // a steady rise: RSI 100 is overbought
    EXPECT_NEAR(*tf.indicators.rsi, 100.0, kTol);
    EXPECT_EQ(tf.votes[Strategy::kRsi].direction, Direction::kBearish);
}

TEST(AnalyzeTimeframe, OnAFlatMarketEveryStrategyIsNeutralAndSoIsTheSignal) {
    const auto candles = candles_from_closes(std::vector<double>(120, 100.0));
    const auto tf = analyze_timeframe(Interval::k1h, candles);
    ASSERT_TRUE(tf.ready);
    EXPECT_NEAR(*tf.indicators.rsi, 50.0, kTol);  // no gain and no loss
    for (const auto strategy : kStrategies) {
        EXPECT_EQ(tf.votes[strategy].direction, Direction::kNeutral) << to_string(strategy);
    }
    EXPECT_EQ(tf.vote, Direction::kNeutral);
    EXPECT_EQ(combine_timeframes(std::vector{tf}).direction, SignalDirection::kNeutral);
}

TimeframeSignal tf(Interval interval, Direction vote, double confidence, bool ready = true) {
    TimeframeSignal out;
    out.interval = interval;
    out.weight = timeframe_weight(interval);
    out.ready = ready;
    out.vote = vote;
    out.confidence = confidence;
    out.indicators.rsi = static_cast<double>(static_cast<int>(interval));
    return out;
}

TEST(CombineTimeframes, WeightedVotesGiveTheSignal) {
    const std::vector<TimeframeSignal> tfs{tf(Interval::k5m, Direction::kBullish, 0.6),
                                           tf(Interval::k15m, Direction::kNeutral, 0.0),
                                           tf(Interval::k1h, Direction::kBullish, 0.3)};
    const auto signal = combine_timeframes(tfs);
    // (1 * 0.6 + 0.5 * 0 + 2 * 0.3) / 3.5
    EXPECT_NEAR(signal.score, 1.2 / 3.5, kTol);
    EXPECT_EQ(signal.direction, SignalDirection::kLong);
    EXPECT_NEAR(signal.confidence, 1.2 / 3.5, kTol);
    EXPECT_EQ(signal.primary, Interval::k1h);
    EXPECT_EQ(signal.indicators.rsi, static_cast<double>(static_cast<int>(Interval::k1h)));
    EXPECT_EQ(signal.timeframes.size(), 3u);
}

TEST(CombineTimeframes, OpposingTimeframesCancel) {
    const std::vector<TimeframeSignal> tfs{tf(Interval::k1h, Direction::kBearish, 0.5),
                                           tf(Interval::k5m, Direction::kBullish, 1.0)};
    const auto signal = combine_timeframes(tfs);
    EXPECT_EQ(signal.direction, SignalDirection::kNeutral);
    EXPECT_NEAR(signal.score, 0.0, kTol);
    EXPECT_EQ(signal.confidence, 0.0);
}

TEST(CombineTimeframes, BelowTheThresholdIsNeutralButKeepsItsScore) {
    const std::vector<TimeframeSignal> tfs{tf(Interval::k5m, Direction::kBullish, 0.5),
                                           tf(Interval::k1h, Direction::kNeutral, 0.0)};
    const auto signal = combine_timeframes(tfs);
    EXPECT_NEAR(signal.score, 0.5 / 3.0, kTol);
    EXPECT_EQ(signal.direction, SignalDirection::kNeutral);
    EXPECT_EQ(signal.confidence, 0.0);
}

TEST(CombineTimeframes, ABearishLoneTimeframeIsShort) {
    const std::vector<TimeframeSignal> tfs{tf(Interval::k15m, Direction::kBearish, 0.8)};
    const auto signal = combine_timeframes(tfs);
    EXPECT_EQ(signal.direction, SignalDirection::kShort);
    EXPECT_NEAR(signal.confidence, 0.8, kTol);
    EXPECT_NEAR(signal.score, -0.8, kTol);
    EXPECT_EQ(signal.primary, Interval::k15m);
}

TEST(CombineTimeframes, OneMinuteAndUnreadyTimeframesDoNotCount) {
    const std::vector<TimeframeSignal> only_1m{tf(Interval::k1m, Direction::kBullish, 1.0)};
    const auto none = combine_timeframes(only_1m);
    EXPECT_EQ(none.direction, SignalDirection::kNeutral);
    EXPECT_FALSE(none.primary);
    EXPECT_EQ(none.timeframes.size(), 1u);

    const std::vector<TimeframeSignal> tfs{tf(Interval::k1h, Direction::kBearish, 1.0, false),
                                           tf(Interval::k5m, Direction::kBullish, 0.4)};
    const auto signal = combine_timeframes(tfs);
    EXPECT_EQ(signal.direction, SignalDirection::kLong);
    EXPECT_NEAR(signal.confidence, 0.4, kTol);
    EXPECT_EQ(signal.primary, Interval::k5m);
}

TEST(CombineTimeframes, NothingIsNeutral) {
    const auto signal = combine_timeframes({});
    EXPECT_EQ(signal.direction, SignalDirection::kNeutral);
    EXPECT_EQ(signal.confidence, 0.0);
    EXPECT_FALSE(signal.primary);
    EXPECT_EQ(to_string(signal.direction), "neutral");
    EXPECT_EQ(to_string(SignalDirection::kLong), "long");
}

}  // namespace
}  // namespace botcore::analysis
