#include "engine/analysis_service.hpp"

#include <vector>

namespace botcore::engine {

namespace {

std::size_t index(market::Interval interval) {
    return static_cast<std::size_t>(interval);
}

}  // namespace

std::deque<market::Candle>& AnalysisService::history(SymbolState& state, const std::string& symbol,
                                                     market::Interval interval) {
    auto& closed = state.closed[index(interval)];
    if (!state.loaded[index(interval)]) {
        // The first use after a start: what the store kept (the open candle is left out).
        state.loaded[index(interval)] = true;
        for (const auto& candle :
             candles_.candles(symbol, interval, std::nullopt, static_cast<int>(history_) + 1)) {
            if (candle.closed && (closed.empty() || candle.open_ms > closed.back().open_ms)) {
                closed.push_back(candle);
            }
        }
    }
    return closed;
}

analysis::TimeframeSignal AnalysisService::analyze(SymbolState& state, const std::string& symbol,
                                                   market::Interval interval) {
    const auto& closed = history(state, symbol, interval);
    const std::vector<market::Candle> series(closed.begin(), closed.end());
    auto frame = analysis::analyze_timeframe(interval, series);
    state.frames[index(interval)] = frame;
    return frame;
}

SignalSnapshot AnalysisService::combine(SymbolState& state, std::int64_t now_ms) const {
    std::vector<analysis::TimeframeSignal> frames;
    for (const auto& frame : state.frames) {
        if (frame) {
            frames.push_back(*frame);
        }
    }
    return SignalSnapshot{analysis::combine_timeframes(frames), now_ms};
}

AnalysisService::Update AnalysisService::on_candle_closed(const std::string& symbol,
                                                          market::Interval interval,
                                                          const market::Candle& candle,
                                                          std::int64_t now_ms) {
    std::lock_guard lock(mutex_);
    auto& state = symbols_[symbol];
    auto& closed = history(state, symbol, interval);
    if (closed.empty() || candle.open_ms > closed.back().open_ms) {
        closed.push_back(candle);
        closed.back().closed = true;
        while (closed.size() > history_) {
            closed.pop_front();
        }
    }
    Update update;
    update.timeframe = analyze(state, symbol, interval);
    state.latest = combine(state, now_ms);
    update.snapshot = *state.latest;
    return update;
}

std::optional<SignalSnapshot> AnalysisService::latest(const std::string& symbol) const {
    std::lock_guard lock(mutex_);
    const auto it = symbols_.find(symbol);
    return it == symbols_.end() ? std::nullopt : it->second.latest;
}

SignalSnapshot AnalysisService::compute(const std::string& symbol, std::int64_t now_ms) {
    std::lock_guard lock(mutex_);
    auto& state = symbols_[symbol];
    for (const auto interval : market::kIntervals) {
        analyze(state, symbol, interval);
    }
    state.latest = combine(state, now_ms);
    return *state.latest;
}

}  // namespace botcore::engine
