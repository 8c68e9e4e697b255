#include "analysis/strategy_votes.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>

namespace botcore::analysis {
namespace {

Vote with_readings(Direction direction, double strength, std::initializer_list<Reading> readings) {
    Vote vote;
    vote.direction = direction;
    if (direction != Direction::kNeutral) {
        vote.confidence = 0.5 + 0.5 * std::clamp(strength, 0.0, 1.0);
    }
    for (const auto& r : readings) {
        vote.readings[vote.reading_count++] = r;
    }
    return vote;
}

Vote neutral(std::initializer_list<Reading> readings) {
    return with_readings(Direction::kNeutral, 0.0, readings);
}

IndicatorSnapshot snapshot_of(std::span<const market::Candle> candles, const IndicatorParams& p,
                              bool IndicatorSelection::*indicator) {
    auto selection = IndicatorSelection::none();
    selection.*indicator = true;
    return take_snapshot(candles, p, selection);
}

}  // namespace

std::string_view to_string(Direction direction) {
    switch (direction) {
        case Direction::kBullish:
            return "bullish";
        case Direction::kBearish:
            return "bearish";
        case Direction::kNeutral:
            return "neutral";
    }
    return "neutral";
}

std::string_view to_string(Strategy strategy) {
    switch (strategy) {
        case Strategy::kRsi:
            return "rsi";
        case Strategy::kMacd:
            return "macd";
        case Strategy::kBollinger:
            return "bollinger";
        case Strategy::kStochastic:
            return "stochastic";
        case Strategy::kVolume:
            return "volume";
    }
    return "rsi";
}

std::optional<Strategy> parse_strategy(std::string_view text) {
    for (const auto s : kStrategies) {
        if (to_string(s) == text) {
            return s;
        }
    }
    return std::nullopt;
}

Vote rsi_vote(const IndicatorSnapshot& s, const VoteRules& rules) {
    if (!s.rsi) {
        return {};
    }
    const double rsi = *s.rsi;
    const Reading reading{"rsi", rsi};
    if (rsi < rules.rsi_oversold) {
        return with_readings(Direction::kBullish, (rules.rsi_oversold - rsi) / rules.rsi_oversold,
                             {reading});
    }
    if (rsi > rules.rsi_overbought) {
        return with_readings(Direction::kBearish,
                             (rsi - rules.rsi_overbought) / (100.0 - rules.rsi_overbought),
                             {reading});
    }
    return neutral({reading});
}

Vote macd_vote(const IndicatorSnapshot& s, const VoteRules& rules) {
    if (!s.macd || !s.macd_signal || !s.macd_histogram || !s.prev_macd_histogram || !s.close) {
        return {};
    }
    const double histogram = *s.macd_histogram;
    const double previous = *s.prev_macd_histogram;
    const std::initializer_list<Reading> readings{
        {"macd", *s.macd}, {"signal", *s.macd_signal}, {"histogram", histogram}};
    if (histogram == 0.0) {
        return neutral(readings);
    }
    const double scale = rules.macd_full_strength * std::abs(*s.close);
    double strength = scale > 0.0 ? std::min(1.0, std::abs(histogram) / scale) : 1.0;
    const bool crossed =
        (histogram > 0.0 && previous <= 0.0) || (histogram < 0.0 && previous >= 0.0);
    if (crossed) {
        strength = 0.5 + 0.5 * strength;
    }
    return with_readings(histogram > 0.0 ? Direction::kBullish : Direction::kBearish, strength,
                         readings);
}

Vote bollinger_vote(const IndicatorSnapshot& s, const VoteRules&) {
    if (!s.bollinger_upper || !s.bollinger_middle || !s.bollinger_lower || !s.close) {
        return {};
    }
    const double upper = *s.bollinger_upper;
    const double lower = *s.bollinger_lower;
    const double close = *s.close;
    const std::initializer_list<Reading> readings{
        {"upper", upper}, {"middle", *s.bollinger_middle}, {"lower", lower}, {"close", close}};
    const double quarter_width = (upper - lower) / 4.0;
    const auto strength = [&](double beyond) {
        return quarter_width > 0.0 ? beyond / quarter_width : 1.0;
    };
    if (close < lower) {
        return with_readings(Direction::kBullish, strength(lower - close), readings);
    }
    if (close > upper) {
        return with_readings(Direction::kBearish, strength(close - upper), readings);
    }
    return neutral(readings);
}

Vote stochastic_vote(const IndicatorSnapshot& s, const VoteRules& rules) {
    if (!s.stochastic_k || !s.stochastic_d || !s.prev_stochastic_k || !s.prev_stochastic_d) {
        return {};
    }
    const double k = *s.stochastic_k;
    const double d = *s.stochastic_d;
    const std::initializer_list<Reading> readings{{"k", k}, {"d", d}};
    const bool crossed_up = *s.prev_stochastic_k <= *s.prev_stochastic_d && k > d;
    const bool crossed_down = *s.prev_stochastic_k >= *s.prev_stochastic_d && k < d;
    if (crossed_up && d < rules.stochastic_oversold) {
        return with_readings(Direction::kBullish,
                             (rules.stochastic_oversold - d) / rules.stochastic_oversold, readings);
    }
    if (crossed_down && d > rules.stochastic_overbought) {
        return with_readings(
            Direction::kBearish,
            (d - rules.stochastic_overbought) / (100.0 - rules.stochastic_overbought), readings);
    }
    return neutral(readings);
}

Vote volume_vote(const IndicatorSnapshot& s, const VoteRules& rules) {
    if (!s.volume_ratio || !s.open || !s.close) {
        return {};
    }
    const double ratio = *s.volume_ratio;
    const std::initializer_list<Reading> readings{{"volume_ratio", ratio}};
    const double threshold = rules.volume_ratio_threshold;
    if (ratio <= threshold || *s.close == *s.open) {
        return neutral(readings);
    }
    const double strength = threshold > 0.0 ? (ratio - threshold) / threshold : 1.0;
    return with_readings(*s.close > *s.open ? Direction::kBullish : Direction::kBearish, strength,
                         readings);
}

StrategyVotes vote_all(const IndicatorSnapshot& s, const VoteRules& rules) {
    StrategyVotes votes;
    votes[Strategy::kRsi] = rsi_vote(s, rules);
    votes[Strategy::kMacd] = macd_vote(s, rules);
    votes[Strategy::kBollinger] = bollinger_vote(s, rules);
    votes[Strategy::kStochastic] = stochastic_vote(s, rules);
    votes[Strategy::kVolume] = volume_vote(s, rules);
    return votes;
}

Vote rsi_vote(std::span<const market::Candle> candles, const StrategyParams& params) {
    return rsi_vote(snapshot_of(candles, params.indicators, &IndicatorSelection::rsi),
                    params.rules);
}

Vote macd_vote(std::span<const market::Candle> candles, const StrategyParams& params) {
    return macd_vote(snapshot_of(candles, params.indicators, &IndicatorSelection::macd),
                     params.rules);
}

Vote bollinger_vote(std::span<const market::Candle> candles, const StrategyParams& params) {
    return bollinger_vote(snapshot_of(candles, params.indicators, &IndicatorSelection::bollinger),
                          params.rules);
}

Vote stochastic_vote(std::span<const market::Candle> candles, const StrategyParams& params) {
    return stochastic_vote(snapshot_of(candles, params.indicators, &IndicatorSelection::stochastic),
                           params.rules);
}

Vote volume_vote(std::span<const market::Candle> candles, const StrategyParams& params) {
    return volume_vote(snapshot_of(candles, params.indicators, &IndicatorSelection::volume_ratio),
                       params.rules);
}

StrategyVotes evaluate_strategies(std::span<const market::Candle> candles,
                                  const StrategyParams& params) {
    IndicatorSelection selection;
    selection.atr = false;
    selection.adx = false;
    selection.ema = false;
    return vote_all(take_snapshot(candles, params.indicators, selection), params.rules);
}

}  // namespace botcore::analysis
