// Where a market tick goes: candles (closed ones stored), the trading engine's triggers, and the
// /ws channels of prices and candles. One path for every feed and for manual prices.
#pragma once

#include <functional>

#include "engine/trading_service.hpp"
#include "market/candle_book.hpp"
#include "ports/feed.hpp"
#include "realtime/hub.hpp"

namespace botcore {

class MarketPipeline {
  public:
    MarketPipeline(market::CandleBook& candles, engine::TradingService& trading, realtime::Hub& hub)
        : candles_(candles), trading_(trading), hub_(hub) {}

    // done (optional) runs once the candles the tick closed and every trigger it reached are
    // committed.
    void on_tick(const ports::Tick& tick, std::function<void()> done = {});

    // Sends each user's committed trading events to the user's connections.
    engine::EventSink user_events();

  private:
    market::CandleBook& candles_;
    engine::TradingService& trading_;
    realtime::Hub& hub_;
};

}  // namespace botcore
