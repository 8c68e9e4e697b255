// The platform's multi-timeframe signal for one symbol: each timeframe votes from its indicators,
// and the weighted timeframe votes give long, short or neutral.
//
// Timeframe score, in [-1, 1]:
//   score = (sum over the five strategies of sign(vote) * confidence + kTrendWeight * trend)
//           / (5 + kTrendWeight)
//   trend = sign(EMA fast - EMA slow)
//           * clamp((adx - kAdxNoTrend) / (kAdxFullTrend - kAdxNoTrend), 0, 1)
// The timeframe votes bullish when score >= kTimeframeVoteThreshold, bearish when score <=
// -kTimeframeVoteThreshold, else neutral; its confidence is min(1, |score| / kTimeframeFullScore)
// when it is not neutral, else 0.
//
// Signal: over the ready timeframes with a weight above 0,
//   S = sum(weight * sign(vote) * confidence) / sum(weight)
// long when S >= kSignalThreshold, short when S <= -kSignalThreshold, else neutral; confidence =
// |S| when long or short, 0 when neutral. No ready timeframe: neutral, 0.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "analysis/indicator_snapshot.hpp"
#include "analysis/strategy_votes.hpp"
#include "market/candles.hpp"

namespace botcore::analysis {

inline constexpr double kTrendWeight = 2.0;
inline constexpr double kAdxNoTrend = 10.0;
inline constexpr double kAdxFullTrend = 40.0;
inline constexpr double kTimeframeVoteThreshold = 0.1;
inline constexpr double kTimeframeFullScore = 0.5;
inline constexpr double kSignalThreshold = 0.2;

// 5m 1.0, 15m 0.5, 1h 2.0. 1m weighs 0: its candles are mostly noise, and bots cannot trade on it
// either, so it is reported but never moves the signal.
constexpr double timeframe_weight(market::Interval interval) {
    switch (interval) {
        case market::Interval::k1m:
            return 0.0;
        case market::Interval::k5m:
            return 1.0;
        case market::Interval::k15m:
            return 0.5;
        case market::Interval::k1h:
            return 2.0;
    }
    return 0.0;
}

// The values an API shows for a timeframe; empty when the candles are too few.
struct TimeframeIndicators {
    std::optional<double> rsi;
    std::optional<double> macd_histogram;
    // (close - lower) / (upper - lower): 0 on the lower band, 1 on the upper band, outside 0..1
    // beyond them; 0.5 when the bands have no width.
    std::optional<double> bollinger_position;
    std::optional<double> stochastic_k;
    std::optional<double> stochastic_d;
    std::optional<double> atr;
    std::optional<double> adx;
    // Bullish when EMA fast (20) is above EMA slow (50), bearish below; empty without both.
    std::optional<Direction> ema_trend;
    std::optional<double> volume_ratio;
};

struct TimeframeSignal {
    market::Interval interval = market::Interval::k5m;
    double weight = 0.0;
    // Enough candles for every price indicator (with the defaults: 50 closed candles, for EMA
    // 50); the volume vote is neutral where the source reports no volume. A timeframe that is
    // not ready votes neutral with score 0 and does not count.
    bool ready = false;
    Direction vote = Direction::kNeutral;
    double score = 0.0;
    double confidence = 0.0;
    TimeframeIndicators indicators;
    StrategyVotes votes;  // what bots on this timeframe combine
};

// The per-(symbol, timeframe) work done once when a candle closes. candles: oldest first; a
// trailing candle not yet closed is ignored.
TimeframeSignal analyze_timeframe(market::Interval interval,
                                  std::span<const market::Candle> candles,
                                  const StrategyParams& params = {});
// The same from a snapshot computed elsewhere (with every indicator selected).
TimeframeSignal analyze_timeframe(market::Interval interval, const IndicatorSnapshot& snapshot,
                                  const VoteRules& rules = {});

enum class SignalDirection { kLong, kShort, kNeutral };
std::string_view to_string(SignalDirection direction);  // "long", "short", "neutral"

struct Signal {
    SignalDirection direction = SignalDirection::kNeutral;
    double confidence = 0.0;
    double score = 0.0;  // S above, in [-1, 1]
    // The ready timeframe of greatest weight (1h, then 5m, then 15m): its indicators are the
    // headline ones. Empty when none is ready.
    std::optional<market::Interval> primary;
    TimeframeIndicators indicators;
    std::vector<TimeframeSignal> timeframes;  // as given
};

// timeframes: at most one per interval.
Signal combine_timeframes(std::span<const TimeframeSignal> timeframes);

}  // namespace botcore::analysis
