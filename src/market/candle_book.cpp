#include "market/candle_book.hpp"

#include <atomic>
#include <memory>
#include <utility>

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
    save(symbol, result.closed, std::move(done));
    return result;
}

std::vector<CandleBook::SymbolClosed> CandleBook::close_until(std::int64_t now_ms) {
    std::vector<SymbolClosed> out;
    {
        std::lock_guard lock(mutex_);
        for (auto& [symbol, aggregator] : aggregators_) {
            for (auto& c : aggregator.close_until(now_ms)) {
                out.push_back({symbol, std::move(c)});
            }
        }
    }
    for (const auto& [symbol, closed] : out) {
        save(symbol, std::span(&closed, 1), {});
    }
    return out;
}

void CandleBook::save(std::string_view symbol, std::span<const ClosedCandle> closed,
                      std::function<void()> done) {
    if (closed.empty() || (saves_ && !saves_())) {
        if (done) {
            done();
        }
        return;
    }
    auto remaining = std::make_shared<std::atomic<std::size_t>>(closed.size());
    for (const auto& c : closed) {
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
    auto out = store_.candles(symbol, interval, end_ms, limit);
    // The stored candle wins over the one built here: another instance may have closed and
    // stored it before this one saw it close.
    if (open && limit > 0 && (out.empty() || out.back().open_ms < open->open_ms)) {
        out.push_back(*open);
        if (std::cmp_greater(out.size(), limit)) {
            out.erase(out.begin());
        }
    }
    return out;
}

}  // namespace botcore::market
