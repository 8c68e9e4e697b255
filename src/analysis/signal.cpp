#include "analysis/signal.hpp"

#include <algorithm>
#include <cmath>

namespace botcore::analysis {
namespace {

std::optional<double> bollinger_position(const IndicatorSnapshot& s) {
    if (!s.bollinger_upper || !s.bollinger_lower || !s.close) {
        return std::nullopt;
    }
    const double width = *s.bollinger_upper - *s.bollinger_lower;
    return width > 0.0 ? (*s.close - *s.bollinger_lower) / width : 0.5;
}

std::optional<Direction> ema_trend(const IndicatorSnapshot& s) {
    if (!s.ema_fast || !s.ema_slow) {
        return std::nullopt;
    }
    if (*s.ema_fast > *s.ema_slow) {
        return Direction::kBullish;
    }
    return *s.ema_fast < *s.ema_slow ? Direction::kBearish : Direction::kNeutral;
}

TimeframeIndicators indicators_of(const IndicatorSnapshot& s) {
    return TimeframeIndicators{s.rsi,          s.macd_histogram, bollinger_position(s),
                               s.stochastic_k, s.stochastic_d,   s.atr,
                               s.adx,          ema_trend(s),     s.volume_ratio};
}

Direction direction_of(double score, double threshold) {
    if (score >= threshold) {
        return Direction::kBullish;
    }
    return score <= -threshold ? Direction::kBearish : Direction::kNeutral;
}

}  // namespace

std::string_view to_string(SignalDirection direction) {
    switch (direction) {
        case SignalDirection::kLong:
            return "long";
        case SignalDirection::kShort:
            return "short";
        case SignalDirection::kNeutral:
            return "neutral";
    }
    return "neutral";
}

TimeframeSignal analyze_timeframe(market::Interval interval, const IndicatorSnapshot& snapshot,
                                  const VoteRules& rules) {
    TimeframeSignal out;
    out.interval = interval;
    out.weight = timeframe_weight(interval);
    out.votes = vote_all(snapshot, rules);
    out.indicators = indicators_of(snapshot);
    const auto trend = out.indicators.ema_trend;
    // A source without volume (the simulator, manual prices) leaves the volume vote without
    // data: it then votes neutral rather than keeping the timeframe from ever being ready.
    out.ready = trend && snapshot.adx && snapshot.atr &&
                std::all_of(kStrategies.begin(), kStrategies.end(), [&out](Strategy s) {
                    return s == Strategy::kVolume || out.votes[s].has_data();
                });
    if (!out.ready) {
        return out;
    }
    double sum = 0.0;
    for (const auto& v : out.votes.by_strategy) {
        sum += sign(v.direction) * v.confidence;
    }
    const double strength =
        std::clamp((*snapshot.adx - kAdxNoTrend) / (kAdxFullTrend - kAdxNoTrend), 0.0, 1.0);
    sum += kTrendWeight * sign(*trend) * strength;
    out.score = sum / (static_cast<double>(kStrategies.size()) + kTrendWeight);
    out.vote = direction_of(out.score, kTimeframeVoteThreshold);
    if (out.vote != Direction::kNeutral) {
        out.confidence = std::min(1.0, std::abs(out.score) / kTimeframeFullScore);
    }
    return out;
}

TimeframeSignal analyze_timeframe(market::Interval interval,
                                  std::span<const market::Candle> candles,
                                  const StrategyParams& params) {
    return analyze_timeframe(interval, take_snapshot(candles, params.indicators), params.rules);
}

Signal combine_timeframes(std::span<const TimeframeSignal> timeframes) {
    Signal out;
    out.timeframes.assign(timeframes.begin(), timeframes.end());
    double weighted = 0.0;
    double total_weight = 0.0;
    const TimeframeSignal* primary = nullptr;
    for (const auto& tf : timeframes) {
        if (!tf.ready || tf.weight <= 0.0) {
            continue;
        }
        weighted += tf.weight * sign(tf.vote) * tf.confidence;
        total_weight += tf.weight;
        if (primary == nullptr || tf.weight > primary->weight) {
            primary = &tf;
        }
    }
    if (primary == nullptr) {
        return out;
    }
    out.primary = primary->interval;
    out.indicators = primary->indicators;
    out.score = weighted / total_weight;
    const auto direction = direction_of(out.score, kSignalThreshold);
    if (direction != Direction::kNeutral) {
        out.direction =
            direction == Direction::kBullish ? SignalDirection::kLong : SignalDirection::kShort;
        out.confidence = std::min(1.0, std::abs(out.score));
    }
    return out;
}

}  // namespace botcore::analysis
