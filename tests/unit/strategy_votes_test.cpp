#include "analysis/strategy_votes.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "analysis_test_support.hpp"

namespace botcore::analysis {
namespace {

constexpr double kTol = 1e-9;

std::vector<std::string_view> names(const Vote& v) {
    std::vector<std::string_view> out;
    for (const auto& r : v.values()) {
        out.push_back(r.name);
    }
    return out;
}

void expect_vote(const Vote& v, Direction direction, double confidence) {
    EXPECT_EQ(v.direction, direction) << to_string(v.direction);
    EXPECT_NEAR(v.confidence, confidence, kTol);
}

// --- names -----------------------------------------------------------------------------------

TEST(StrategyNames, RoundTrip) {
    for (const auto s : kStrategies) {
        EXPECT_EQ(parse_strategy(to_string(s)), s);
    }
    EXPECT_EQ(parse_strategy("bollinger"), Strategy::kBollinger);
    EXPECT_FALSE(parse_strategy("RSI"));
    EXPECT_FALSE(parse_strategy(""));
    EXPECT_EQ(to_string(Direction::kBearish), "bearish");
}

TEST(StrategySet, InsertsAndCounts) {
    StrategySet set;
    EXPECT_TRUE(set.empty());
    set.insert(Strategy::kMacd).insert(Strategy::kVolume).insert(Strategy::kMacd);
    EXPECT_EQ(set.size(), 2);
    EXPECT_TRUE(set.contains(Strategy::kMacd));
    EXPECT_TRUE(set.contains(Strategy::kVolume));
    EXPECT_FALSE(set.contains(Strategy::kRsi));
    EXPECT_EQ(StrategySet::all().size(), 5);
}

// --- RSI -------------------------------------------------------------------------------------

TEST(RsiVote, OversoldIsBullishWithConfidenceGrowingWithDistance) {
    IndicatorSnapshot s;
    s.rsi = 20.0;
    // strength (30 - 20) / 30 = 1/3
    expect_vote(rsi_vote(s), Direction::kBullish, 0.5 + 0.5 / 3.0);
    s.rsi = 0.0;
    expect_vote(rsi_vote(s), Direction::kBullish, 1.0);
    s.rsi = 29.0;
    EXPECT_LT(rsi_vote(s).confidence, 0.52);
}

TEST(RsiVote, OverboughtIsBearish) {
    IndicatorSnapshot s;
    s.rsi = 85.0;
    expect_vote(rsi_vote(s), Direction::kBearish, 0.75);  // strength 15 / 30
}

TEST(RsiVote, TheThresholdsThemselvesAreNeutral) {
    IndicatorSnapshot s;
    for (const double rsi : {30.0, 50.0, 70.0}) {
        s.rsi = rsi;
        const auto v = rsi_vote(s);
        expect_vote(v, Direction::kNeutral, 0.0);
        ASSERT_EQ(v.values().size(), 1u);
        EXPECT_EQ(v.values()[0], (Reading{"rsi", rsi}));
    }
}

TEST(RsiVote, CustomThresholds) {
    IndicatorSnapshot s;
    s.rsi = 35.0;
    VoteRules rules;
    rules.rsi_oversold = 40.0;
    expect_vote(rsi_vote(s, rules), Direction::kBullish, 0.5 + 0.5 * 5.0 / 40.0);
}

// --- MACD ------------------------------------------------------------------------------------

IndicatorSnapshot macd_snapshot(double histogram, double previous, double close = 10'000.0) {
    IndicatorSnapshot s;
    s.close = close;
    s.macd = 3.0;
    s.macd_signal = 3.0 - histogram;
    s.macd_histogram = histogram;
    s.prev_macd_histogram = previous;
    return s;
}

TEST(MacdVote, PositiveHistogramIsBullishScaledByThePrice) {
    // full strength at 0.1% of 10000 = 10; 5 is half of it
    const auto v = macd_vote(macd_snapshot(5.0, 3.0));
    expect_vote(v, Direction::kBullish, 0.75);
    EXPECT_EQ(names(v), (std::vector<std::string_view>{"macd", "signal", "histogram"}));
    EXPECT_NEAR(v.values()[2].value, 5.0, kTol);
}

TEST(MacdVote, NegativeHistogramIsBearish) {
    expect_vote(macd_vote(macd_snapshot(-2.0, -1.0)), Direction::kBearish,
                0.6);  // 0.2
    expect_vote(macd_vote(macd_snapshot(-30.0, -1.0)), Direction::kBearish, 1.0);
}

TEST(MacdVote, ASignalLineCrossOnTheLastCandleIsStronger) {
    // strength 0.5 becomes 0.5 + 0.5 * 0.5
    expect_vote(macd_vote(macd_snapshot(5.0, -1.0)), Direction::kBullish, 0.875);
    expect_vote(macd_vote(macd_snapshot(-5.0, 0.0)), Direction::kBearish, 0.875);
}

TEST(MacdVote, ZeroHistogramIsNeutralAndMissingValuesGiveNoData) {
    expect_vote(macd_vote(macd_snapshot(0.0, 2.0)), Direction::kNeutral, 0.0);
    auto s = macd_snapshot(5.0, 3.0);
    s.prev_macd_histogram.reset();
    const auto v = macd_vote(s);
    expect_vote(v, Direction::kNeutral, 0.0);
    EXPECT_FALSE(v.has_data());
}

// --- Bollinger -------------------------------------------------------------------------------

IndicatorSnapshot bands(double close) {
    IndicatorSnapshot s;
    s.bollinger_upper = 110.0;
    s.bollinger_middle = 100.0;
    s.bollinger_lower = 90.0;
    s.close = close;
    return s;
}

TEST(BollingerVote, BelowTheLowerBandIsBullish) {
    // a quarter of the width 20 is 5; 3 beyond the band is strength 0.6
    const auto v = bollinger_vote(bands(87.0));
    expect_vote(v, Direction::kBullish, 0.8);
    EXPECT_EQ(names(v), (std::vector<std::string_view>{"upper", "middle", "lower", "close"}));
}

TEST(BollingerVote, AboveTheUpperBandIsBearish) {
    expect_vote(bollinger_vote(bands(112.0)), Direction::kBearish, 0.7);
    expect_vote(bollinger_vote(bands(130.0)), Direction::kBearish, 1.0);
}

TEST(BollingerVote, OnOrInsideTheBandsIsNeutral) {
    for (const double close : {90.0, 100.0, 110.0}) {
        expect_vote(bollinger_vote(bands(close)), Direction::kNeutral, 0.0);
    }
}

// --- Stochastic ------------------------------------------------------------------------------

IndicatorSnapshot stochastic(double prev_k, double prev_d, double k, double d) {
    IndicatorSnapshot s;
    s.prev_stochastic_k = prev_k;
    s.prev_stochastic_d = prev_d;
    s.stochastic_k = k;
    s.stochastic_d = d;
    return s;
}

TEST(StochasticVote, CrossUpInTheOversoldZoneIsBullish) {
    // strength (20 - 13) / 20 = 0.35
    expect_vote(stochastic_vote(stochastic(10, 12, 15, 13)), Direction::kBullish, 0.675);
}

TEST(StochasticVote, CrossDownInTheOverboughtZoneIsBearish) {
    expect_vote(stochastic_vote(stochastic(90, 88, 85, 87)), Direction::kBearish, 0.675);
}

TEST(StochasticVote, ACrossOutsideItsZoneOrNoCrossIsNeutral) {
    expect_vote(stochastic_vote(stochastic(28, 30, 35, 32)), Direction::kNeutral, 0.0);
    expect_vote(stochastic_vote(stochastic(70, 68, 65, 67)), Direction::kNeutral, 0.0);
    // k already above d on the previous candle: no cross
    expect_vote(stochastic_vote(stochastic(16, 12, 15, 13)), Direction::kNeutral, 0.0);
    // a cross up in the overbought zone is not bearish
    expect_vote(stochastic_vote(stochastic(85, 88, 92, 89)), Direction::kNeutral, 0.0);
}

// --- Volume ----------------------------------------------------------------------------------

IndicatorSnapshot volume(double ratio, double open, double close) {
    IndicatorSnapshot s;
    s.volume_ratio = ratio;
    s.open = open;
    s.close = close;
    return s;
}

TEST(VolumeVote, HighVolumeConfirmsTheLastCandle) {
    // strength (2.25 - 1.5) / 1.5 = 0.5
    expect_vote(volume_vote(volume(2.25, 100, 101)), Direction::kBullish, 0.75);
    expect_vote(volume_vote(volume(4.0, 101, 100)), Direction::kBearish, 1.0);
}

TEST(VolumeVote, OrdinaryVolumeOrADojiIsNeutral) {
    expect_vote(volume_vote(volume(1.5, 100, 101)), Direction::kNeutral, 0.0);
    expect_vote(volume_vote(volume(3.0, 100, 100)), Direction::kNeutral, 0.0);
}

// --- on candles ------------------------------------------------------------------------------

TEST(StrategiesOnCandles, TooFewCandlesGiveNeutralVotesWithoutValues) {
    const auto candles = candles_from_closes(linear(10, 100.0, -1.0));
    const auto votes = evaluate_strategies(candles);
    for (const auto s : kStrategies) {
        const Vote& v = votes[s];
        EXPECT_EQ(v.direction, Direction::kNeutral) << to_string(s);
        EXPECT_EQ(v.confidence, 0.0) << to_string(s);
        EXPECT_FALSE(v.has_data()) << to_string(s);
    }
    EXPECT_FALSE(rsi_vote(std::span<const market::Candle>{}).has_data());
}

TEST(StrategiesOnCandles, ASteadyFallIsFullyOversold) {
    // Only losses: the average gain is 0, so RSI is 0.
    const auto v = rsi_vote(candles_from_closes(linear(30, 100.0, -1.0)));
    expect_vote(v, Direction::kBullish, 1.0);
}

TEST(StrategiesOnCandles, ACloseFarBelowFlatBandsIsBullish) {
    // 19 closes of 100 then 80: mean 99, variance (19 * 1 + 19^2) / 20 = 19, lower band 99 - 2 *
    // sqrt(19) = 90.28; 80 is more than a quarter of the band width beyond it.
    auto closes = std::vector<double>(19, 100.0);
    closes.push_back(80.0);
    const auto v = bollinger_vote(candles_from_closes(closes));
    expect_vote(v, Direction::kBullish, 1.0);
    EXPECT_NEAR(v.values()[2].value, 99.0 - 2.0 * std::sqrt(19.0), 1e-6);
}

TEST(StrategiesOnCandles, AVolumeSpikeOnAGreenCandleIsBullish) {
    auto candles = candles_from_closes(linear(20, 100.0, 0.1), 10.0);
    candles.back().volume = dec(25.0);
    // average (19 * 10 + 25) / 20 = 10.75
    const double ratio = 25.0 / 10.75;
    const auto v = volume_vote(candles);
    expect_vote(v, Direction::kBullish, 0.5 + 0.5 * (ratio - 1.5) / 1.5);
    EXPECT_NEAR(v.values()[0].value, ratio, kTol);
}

TEST(StrategiesOnCandles, StochasticTurningUpFromTheLowsIsBullish) {
    // 20 candles falling by 1 from 100 (every close is the window's low, so %K = %D = 0), then one
    // rising by 0.5: its window (candles 7..20) spans 94 (candle 7's high) to 81, so %K = 100 * 0.5
    // / 13 and %D = (0 + 0 + %K) / 3, crossing up below 20.
    auto closes = linear(20, 100.0, -1.0);
    closes.push_back(81.5);
    const double k = 100.0 * 0.5 / 13.0;
    const double d = k / 3.0;
    const auto v = stochastic_vote(candles_from_closes(closes));
    expect_vote(v, Direction::kBullish, 0.5 + 0.5 * (20.0 - d) / 20.0);
    ASSERT_EQ(v.values().size(), 2u);
    EXPECT_NEAR(v.values()[0].value, k, 1e-6);
    EXPECT_NEAR(v.values()[1].value, d, 1e-6);
}

TEST(StrategiesOnCandles, MacdFollowsABreakoutFromAFlatMarket) {
    auto up = std::vector<double>(40, 100.0);
    auto down = up;
    for (int i = 1; i <= 5; ++i) {
        up.push_back(100.0 + 2.0 * i);
        down.push_back(100.0 - 2.0 * i);
    }
    EXPECT_EQ(macd_vote(candles_from_closes(up)).direction, Direction::kBullish);
    EXPECT_EQ(macd_vote(candles_from_closes(down)).direction, Direction::kBearish);
}

TEST(StrategiesOnCandles, EvaluatingAllAtOnceMatchesEachStrategyAlone) {
    std::vector<double> closes;
    for (int i = 0; i < 80; ++i) {
        closes.push_back(100.0 + 10.0 * std::sin(i / 5.0) + (i % 3) * 0.7);
    }
    auto candles = candles_from_closes(closes);
    for (std::size_t i = 0; i < candles.size(); ++i) {
        candles[i].volume = dec(50.0 + static_cast<double>((i * 37) % 101));
    }
    const auto all = evaluate_strategies(candles);
    EXPECT_EQ(all[Strategy::kRsi], rsi_vote(candles));
    EXPECT_EQ(all[Strategy::kMacd], macd_vote(candles));
    EXPECT_EQ(all[Strategy::kBollinger], bollinger_vote(candles));
    EXPECT_EQ(all[Strategy::kStochastic], stochastic_vote(candles));
    EXPECT_EQ(all[Strategy::kVolume], volume_vote(candles));
    for (const auto s : kStrategies) {
        EXPECT_TRUE(all[s].has_data()) << to_string(s);
        EXPECT_GE(all[s].confidence, 0.0);
        EXPECT_LE(all[s].confidence, 1.0);
    }
}

}  // namespace
}  // namespace botcore::analysis
