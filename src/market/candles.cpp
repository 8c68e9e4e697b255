#include "market/candles.hpp"

#include "domain/decimal_math.hpp"

namespace botcore::market {

std::int64_t interval_ms(Interval interval) {
    switch (interval) {
        case Interval::k1m:
            return 60'000;
        case Interval::k5m:
            return 300'000;
        case Interval::k15m:
            return 900'000;
        case Interval::k1h:
            return 3'600'000;
    }
    return 60'000;
}

std::string_view to_string(Interval interval) {
    switch (interval) {
        case Interval::k1m:
            return "1m";
        case Interval::k5m:
            return "5m";
        case Interval::k15m:
            return "15m";
        case Interval::k1h:
            return "1h";
    }
    return "1m";
}

std::optional<Interval> parse_interval(std::string_view text) {
    for (const auto interval : kIntervals) {
        if (to_string(interval) == text) {
            return interval;
        }
    }
    return std::nullopt;
}

std::vector<ClosedCandle> CandleAggregator::on_tick(domain::Decimal price, domain::Decimal volume,
                                                    std::int64_t ts_ms) {
    std::vector<ClosedCandle> closed;
    if (newest_ms_ && ts_ms < *newest_ms_) {
        return closed;
    }
    newest_ms_ = ts_ms;
    for (const auto interval : kIntervals) {
        auto& candle = current_[static_cast<std::size_t>(interval)];
        const auto length = interval_ms(interval);
        const auto open_ms = ts_ms - ((ts_ms % length) + length) % length;
        if (candle && open_ms > candle->open_ms) {
            close(interval, closed);
        }
        if (!candle) {
            candle = Candle{open_ms, price, price, price, price, volume, false};
            continue;
        }
        candle->high = std::max(candle->high, price);
        candle->low = std::min(candle->low, price);
        candle->close = price;
        // A volume sum beyond int64 units is not a market we model; keep the last valid sum.
        if (const auto sum = domain::checked_add(candle->volume, volume)) {
            candle->volume = *sum;
        }
    }
    return closed;
}

std::vector<ClosedCandle> CandleAggregator::close_until(std::int64_t now_ms) {
    std::vector<ClosedCandle> closed;
    for (const auto interval : kIntervals) {
        const auto& candle = current_[static_cast<std::size_t>(interval)];
        if (!candle) {
            continue;
        }
        if (const auto end_ms = candle->open_ms + interval_ms(interval); end_ms <= now_ms) {
            newest_ms_ = std::max(newest_ms_.value_or(end_ms), end_ms);
            close(interval, closed);
        }
    }
    return closed;
}

void CandleAggregator::close(Interval interval, std::vector<ClosedCandle>& closed) {
    const auto index = static_cast<std::size_t>(interval);
    auto& candle = current_[index];
    candle->closed = true;
    closed.push_back({interval, *candle, whole_[index]});
    candle.reset();
    whole_[index] = true;  // every later tick is seen
}

}  // namespace botcore::market
