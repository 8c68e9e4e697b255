// OHLCV candles of one symbol, built from its ticks for every interval at once (1m, 5m, 15m,
// 1h). Pure: time comes in with each tick.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "domain/decimal.hpp"

namespace botcore::market {

enum class Interval { k1m, k5m, k15m, k1h };
inline constexpr std::array kIntervals{Interval::k1m, Interval::k5m, Interval::k15m, Interval::k1h};

std::int64_t interval_ms(Interval interval);
std::string_view to_string(Interval interval);
std::optional<Interval> parse_interval(std::string_view text);

struct Candle {
    std::int64_t open_ms = 0;  // start of the interval, a multiple of its length
    domain::Decimal open;
    domain::Decimal high;
    domain::Decimal low;
    domain::Decimal close;
    domain::Decimal volume;
    bool closed = false;
    bool operator==(const Candle&) const = default;
};

struct ClosedCandle {
    Interval interval;
    Candle candle;
    // Built from every tick of its interval; false for the first candle an aggregator builds,
    // which may have missed the ticks before it started.
    bool whole = true;
};

class CandleAggregator {
  public:
    // Adds a tick; returns the candles it closed (the tick opened the next interval). An
    // interval without ticks has no candle: the next candle opens where the ticks resume.
    // A tick older than the newest one seen is ignored by every interval (a late tick inside
    // the current hour but before the current minute would otherwise move the hour alone, and
    // one inside the current minute would set its close back to an older price).
    std::vector<ClosedCandle> on_tick(domain::Decimal price, domain::Decimal volume,
                                      std::int64_t ts_ms);
    // The feed's time reached now_ms with no tick of this symbol: closes the candles whose
    // interval ended by then, so a quiet symbol's candle does not wait for its next tick.
    // Ticks before the end of a candle it closed are ignored afterwards, like late ticks.
    std::vector<ClosedCandle> close_until(std::int64_t now_ms);
    // The candle being built, if any tick has arrived.
    const std::optional<Candle>& current(Interval interval) const {
        return current_[static_cast<std::size_t>(interval)];
    }

  private:
    // Closes the interval's current candle into `closed`.
    void close(Interval interval, std::vector<ClosedCandle>& closed);

    std::array<std::optional<Candle>, kIntervals.size()> current_;
    std::array<bool, kIntervals.size()> whole_{};
    std::optional<std::int64_t> newest_ms_;
};

}  // namespace botcore::market
