// Where a market tick goes: candles (closed ones stored), the trading engine's triggers, the
// analysis signal and the bots when a candle closes, and the /ws channels of prices, candles and
// signals. One path for every feed and for manual prices.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <span>

#include "engine/analysis_service.hpp"
#include "engine/bot_service.hpp"
#include "engine/trading_service.hpp"
#include "market/candle_book.hpp"
#include "ports/event_bus.hpp"
#include "ports/feed.hpp"
#include "ports/market_store.hpp"
#include "realtime/hub.hpp"

namespace botcore {

class MarketPipeline {
  public:
    MarketPipeline(market::CandleBook& candles, engine::TradingService& trading,
                   engine::AnalysisService& analysis, engine::BotService& bots, realtime::Hub& hub,
                   ports::MarketStore& store, ports::EventBus& bus);
    ~MarketPipeline();
    MarketPipeline(const MarketPipeline&) = delete;
    MarketPipeline& operator=(const MarketPipeline&) = delete;

    // done (optional) runs once the candles the tick closed and every trigger it reached are
    // committed.
    void on_tick(const ports::Tick& tick, std::function<void()> done = {});
    // Ticks of a feed, observed together (a step over every symbol): their messages are
    // published as one batch. A feed's ticks come in time order across its symbols, so they
    // also close the candles of quiet symbols that ended kLateTickMs before the newest.
    void on_ticks(std::span<const ports::Tick> ticks);
    // The feed's time reached now_ms (a replay's end): the candles that ended by then close, as
    // a tick would close them.
    void close_candles(std::int64_t now_ms);
    // For a feed whose time is the clock's (simulated, live), when the feed goes quiet: closes
    // what ended kLateTickMs before the feed's time now, estimated as its newest tick's time
    // plus the time since that tick came, and never past now_ms. A stream lagging behind the
    // clock, or a clock ahead of the exchange's, then drops no tick.
    void close_candles_on_clock(std::int64_t now_ms);

    // How far a feed's ticks of different symbols may arrive out of time order.
    static constexpr std::int64_t kLateTickMs = 5'000;

    // Sends each user's committed trading events to the user's bot and, through the event bus,
    // to the user's connections on every instance.
    engine::EventSink user_events();

  private:
    // Processes one tick and adds its messages to batch.
    void process(const ports::Tick& tick, std::function<void()> done, realtime::Hub::Batch& batch);
    // Stores nothing: announces a closed candle (/ws, analysis, signal, bots) and adds its
    // messages to batch. price: the symbol's last price; now_ms: when it closed.
    void candle_closed(const std::string& symbol, const market::ClosedCandle& closed,
                       domain::Decimal price, std::int64_t now_ms, realtime::Hub::Batch& batch);
    void close_candles(std::int64_t now_ms, realtime::Hub::Batch& batch);
    // A "user" bus message: the user's event messages, one per line.
    void deliver_user_events(std::string_view user_id, std::string_view lines);

    market::CandleBook& candles_;
    engine::TradingService& trading_;
    engine::AnalysisService& analysis_;
    engine::BotService& bots_;
    realtime::Hub& hub_;
    ports::MarketStore& store_;
    ports::EventBus& bus_;
    std::mutex feed_time_mutex_;
    std::optional<std::int64_t> newest_tick_ms_;  // of the feed's ticks (on_ticks)
    std::int64_t newest_received_ms_ = 0;         // by the clock, when it came
};

}  // namespace botcore
