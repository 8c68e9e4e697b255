// Candles of every symbol: ticks go in, closed candles go to the store, and readers get the
// stored history plus the candle still being built. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "market/candles.hpp"
#include "ports/market_store.hpp"

namespace botcore::market {

class CandleBook {
  public:
    // saves (optional): whether closed candles are stored now (always when empty).
    explicit CandleBook(ports::MarketStore& store, std::function<bool()> saves = {})
        : store_(store), saves_(std::move(saves)) {}

    // What a tick changed: the candles it closed, and every interval's candle now being built.
    struct TickResult {
        std::vector<ClosedCandle> closed;
        std::array<std::optional<Candle>, kIntervals.size()> current;
    };
    // done (optional) runs once the candles this tick closed are stored. A candle that may
    // have missed ticks (the first one after a start) is stored only where none is.
    TickResult on_tick(const std::string& symbol, domain::Decimal price, domain::Decimal volume,
                       std::int64_t ts_ms, std::function<void()> done = {});
    // The feed's time reached now_ms: every symbol's candles whose interval ended by then close
    // (CandleAggregator::close_until) and are stored like those a tick closes.
    struct SymbolClosed {
        std::string symbol;
        ClosedCandle closed;
    };
    std::vector<SymbolClosed> close_until(std::int64_t now_ms);
    // The newest `limit` candles opening before end_ms, oldest first; without end_ms the last
    // one is the open candle (closed = false), unless a closed one of the same interval is
    // stored (another instance closed it first).
    std::vector<Candle> candles(const std::string& symbol, Interval interval,
                                std::optional<std::int64_t> end_ms, int limit);
    // Closed candles the store failed to save (lost from the history; exported as a metric).
    std::uint64_t failed_saves() const { return failed_saves_.load(std::memory_order_relaxed); }

  private:
    // Stores closed candles of symbol; done (optional) runs once all are answered.
    void save(std::string_view symbol, std::span<const ClosedCandle> closed,
              std::function<void()> done);

    ports::MarketStore& store_;
    std::function<bool()> saves_;
    std::atomic<std::uint64_t> failed_saves_{0};
    std::mutex mutex_;
    std::map<std::string, CandleAggregator, std::less<>> aggregators_;
};

}  // namespace botcore::market
