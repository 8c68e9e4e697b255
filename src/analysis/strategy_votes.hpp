// The five trading strategies, each voting bullish, bearish or neutral on one symbol's closed
// candles of one timeframe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "analysis/indicator_snapshot.hpp"
#include "market/candles.hpp"

namespace botcore::analysis {

enum class Direction { kBullish, kBearish, kNeutral };

std::string_view to_string(Direction direction);  // "bullish", "bearish", "neutral"
constexpr int sign(Direction direction) {
    return direction == Direction::kBullish ? 1 : direction == Direction::kBearish ? -1 : 0;
}

enum class Strategy { kRsi, kMacd, kBollinger, kStochastic, kVolume };
inline constexpr std::array kStrategies{Strategy::kRsi, Strategy::kMacd, Strategy::kBollinger,
                                        Strategy::kStochastic, Strategy::kVolume};

std::string_view to_string(Strategy strategy);  // "rsi", "macd", "bollinger", ...
std::optional<Strategy> parse_strategy(std::string_view text);

// A set of strategies (a user's enabled ones): a bit mask, cheap to copy and compare.
class StrategySet {
  public:
    constexpr StrategySet() = default;
    static constexpr StrategySet all() {
        StrategySet set;
        for (const auto s : kStrategies) {
            set.insert(s);
        }
        return set;
    }
    constexpr StrategySet& insert(Strategy s) {
        bits_ = static_cast<std::uint8_t>(bits_ | bit(s));
        return *this;
    }
    constexpr bool contains(Strategy s) const { return (bits_ & bit(s)) != 0; }
    constexpr bool empty() const { return bits_ == 0; }
    constexpr int size() const {
        int n = 0;
        for (const auto s : kStrategies) {
            n += contains(s) ? 1 : 0;
        }
        return n;
    }
    constexpr bool operator==(const StrategySet&) const = default;

  private:
    static constexpr std::uint8_t bit(Strategy s) {
        return static_cast<std::uint8_t>(1u << static_cast<unsigned>(s));
    }
    std::uint8_t bits_ = 0;
};

// An indicator value a vote was based on, under the name an API shows it.
struct Reading {
    std::string_view name;
    double value = 0.0;
    bool operator==(const Reading&) const = default;
};

struct Vote {
    Direction direction = Direction::kNeutral;
    // How strongly the strategy holds its direction, 0..1; always 0 for a neutral vote. A
    // directional vote has 0.5 + 0.5 * strength, strength 0..1 as defined per strategy below.
    double confidence = 0.0;
    // The indicator values used; none when the candles were too few (the vote is then neutral).
    std::array<Reading, 4> readings{};
    std::size_t reading_count = 0;

    std::span<const Reading> values() const { return std::span(readings).first(reading_count); }
    bool has_data() const { return reading_count > 0; }
    bool operator==(const Vote&) const = default;
};

// One vote per strategy, indexed by Strategy.
struct StrategyVotes {
    std::array<Vote, kStrategies.size()> by_strategy{};

    const Vote& operator[](Strategy s) const { return by_strategy[static_cast<std::size_t>(s)]; }
    Vote& operator[](Strategy s) { return by_strategy[static_cast<std::size_t>(s)]; }
};

struct VoteRules {
    double rsi_oversold = 30.0;
    double rsi_overbought = 70.0;
    double stochastic_oversold = 20.0;
    double stochastic_overbought = 80.0;
    double volume_ratio_threshold = 1.5;
    // The MACD histogram reaches full strength at this share of the close price.
    double macd_full_strength = 0.001;
};

struct StrategyParams {
    IndicatorParams indicators;
    VoteRules rules;
};

// The rules, on the values of a snapshot. Each needs the snapshot values it names; without them the
// vote is neutral with no readings.
//
// RSI: rsi < oversold is bullish with strength (oversold - rsi) / oversold; rsi > overbought
// bearish with strength (rsi - overbought) / (100 - overbought). Readings: rsi.
Vote rsi_vote(const IndicatorSnapshot& s, const VoteRules& rules = {});
// MACD: the histogram's sign gives the direction (0 is neutral); strength = min(1, |histogram| /
// (macd_full_strength * close)). When the histogram changed sign on the last candle (the MACD line
// crossed its signal line) strength becomes 0.5 + 0.5 * strength. Needs the previous histogram.
// Readings: macd, signal, histogram.
Vote macd_vote(const IndicatorSnapshot& s, const VoteRules& rules = {});
// Bollinger (mean reversion): close below the lower band is bullish, above the upper band bearish;
// strength = min(1, distance beyond the band / (quarter of the band width)), i.e. full one standard
// deviation beyond it with the default 2-deviation bands. Readings: upper, middle, lower, close.
Vote bollinger_vote(const IndicatorSnapshot& s, const VoteRules& rules = {});
// Stochastic: %K crossing above %D (prev k <= prev d, k > d) with d < oversold is bullish, strength
// (oversold - d) / oversold; crossing below with d > overbought bearish, strength (d - overbought)
// / (100 - overbought). No cross is neutral. Readings: k, d.
Vote stochastic_vote(const IndicatorSnapshot& s, const VoteRules& rules = {});
// Volume: volume ratio > threshold confirms the last candle's direction (close above open bullish,
// below bearish, equal neutral); strength min(1, (ratio - threshold) / threshold). Readings:
// volume_ratio.
Vote volume_vote(const IndicatorSnapshot& s, const VoteRules& rules = {});

// All five from one snapshot (which must hold rsi, macd, bollinger, stochastic, volume ratio).
StrategyVotes vote_all(const IndicatorSnapshot& s, const VoteRules& rules = {});

// On candles (oldest first; a trailing candle not yet closed is ignored). Each single-strategy
// function computes only its own indicator; evaluate_strategies computes each indicator once for
// all five, which is what the server does once per symbol and timeframe when a candle closes.
Vote rsi_vote(std::span<const market::Candle> candles, const StrategyParams& params = {});
Vote macd_vote(std::span<const market::Candle> candles, const StrategyParams& params = {});
Vote bollinger_vote(std::span<const market::Candle> candles, const StrategyParams& params = {});
Vote stochastic_vote(std::span<const market::Candle> candles, const StrategyParams& params = {});
Vote volume_vote(std::span<const market::Candle> candles, const StrategyParams& params = {});
StrategyVotes evaluate_strategies(std::span<const market::Candle> candles,
                                  const StrategyParams& params = {});

}  // namespace botcore::analysis
