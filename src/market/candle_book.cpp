#include "market/candle_book.hpp"

#include <atomic>
#include <memory>

namespace botcore::market {

CandleBook::TickResult CandleBook::on_tick(const std::string& symbol, domain::Decimal price,
                                           domain::Decimal volume, std::int64_t ts_ms,
                                           std::function<void()> done) {
    TickResult result;
    {
        std::lock_guard lock(mutex_);
        auto& aggregator = aggregators_[symbol];
        result.closed = aggregator.on_tick(price, volume, ts_ms);
        for (const auto interval : kIntervals) {
            result.current[static_cast<std::size_t>(interval)] = aggregator.current(interval);
        }
    }
    if (result.closed.empty() || (saves_ && !saves_())) {
        if (done) {
            done();
        }
        return result;
    }
    auto remaining = std::make_shared<std::atomic<std::size_t>>(result.closed.size());
    for (const auto& c : result.closed) {
        store_.save_candle(
            symbol, c.interval, c.candle,
            [this, remaining, done](bool stored) {
                if (!stored) {
                    failed_saves_.fetch_add(1, std::memory_order_relaxed);
                }
                if (remaining->fetch_sub(1) == 1 && done) {
                    done();
                }
            },
            c.whole ? ports::MarketStore::CandleSave::kReplace
                    : ports::MarketStore::CandleSave::kIfAbsent);
    }
    return result;
}

std::vector<Candle> CandleBook::candles(const std::string& symbol, Interval interval,
                                        std::optional<std::int64_t> end_ms, int limit) {
    std::optional<Candle> open;
    if (!end_ms) {
        std::lock_guard lock(mutex_);
        if (const auto it = aggregators_.find(symbol); it != aggregators_.end()) {
            open = it->second.current(interval);
        }
    }
    auto out = store_.candles(symbol, interval, end_ms, open ? limit - 1 : limit);
    if (open && limit > 0) {
        out.push_back(*open);
    }
    return out;
}

}  // namespace botcore::market
