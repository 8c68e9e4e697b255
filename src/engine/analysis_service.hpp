// The platform's signal per symbol: when a candle closes, that timeframe's indicators and
// strategy votes are computed once (shared by every user and every bot) and the symbol's
// multi-timeframe signal is recombined. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "analysis/signal.hpp"
#include "market/candle_book.hpp"

namespace botcore::engine {

struct SignalSnapshot {
    analysis::Signal signal;
    std::int64_t computed_ms = 0;
};

class AnalysisService {
  public:
    // history: closed candles kept per (symbol, interval); enough for every indicator.
    explicit AnalysisService(market::CandleBook& candles, std::size_t history = 120)
        : candles_(candles), history_(history) {}

    // A candle closed: recomputes its timeframe and the symbol's signal, and returns them.
    struct Update {
        analysis::TimeframeSignal timeframe;
        SignalSnapshot snapshot;
    };
    Update on_candle_closed(const std::string& symbol, market::Interval interval,
                            const market::Candle& candle, std::int64_t now_ms);

    // The last signal computed for symbol, if any candle of it closed since the start.
    std::optional<SignalSnapshot> latest(const std::string& symbol) const;
    // Computes the signal now from the stored candles (a symbol nothing closed for yet).
    SignalSnapshot compute(const std::string& symbol, std::int64_t now_ms);

  private:
    struct SymbolState {
        std::array<std::deque<market::Candle>, market::kIntervals.size()> closed;
        std::array<bool, market::kIntervals.size()> loaded{};
        std::array<std::optional<analysis::TimeframeSignal>, market::kIntervals.size()> frames;
        std::optional<SignalSnapshot> latest;
    };
    // Called with mutex_ held.
    std::deque<market::Candle>& history(SymbolState& state, const std::string& symbol,
                                        market::Interval interval);
    analysis::TimeframeSignal analyze(SymbolState& state, const std::string& symbol,
                                      market::Interval interval);
    SignalSnapshot combine(SymbolState& state, std::int64_t now_ms) const;

    market::CandleBook& candles_;
    std::size_t history_;
    mutable std::mutex mutex_;
    std::map<std::string, SymbolState, std::less<>> symbols_;
};

}  // namespace botcore::engine
