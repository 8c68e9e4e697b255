#include "app/market_pipeline.hpp"

#include <atomic>
#include <memory>
#include <optional>

#include "api/analysis_json.hpp"
#include "realtime/channel.hpp"
#include "realtime/server_messages.hpp"

namespace botcore {

namespace {

constexpr std::string_view kUserTopic = "user";

}  // namespace

MarketPipeline::MarketPipeline(market::CandleBook& candles, engine::TradingService& trading,
                               engine::AnalysisService& analysis, engine::BotService& bots,
                               realtime::Hub& hub, ports::MarketStore& store, ports::EventBus& bus)
    : candles_(candles),
      trading_(trading),
      analysis_(analysis),
      bots_(bots),
      hub_(hub),
      store_(store),
      bus_(bus) {
    bus_.subscribe(kUserTopic, [this](std::string_view user_id, std::string_view lines) {
        deliver_user_events(user_id, lines);
    });
}

MarketPipeline::~MarketPipeline() {
    bus_.subscribe(kUserTopic, {});
}

void MarketPipeline::on_tick(const ports::Tick& tick, std::function<void()> done) {
    realtime::Hub::Batch batch;
    process(tick, std::move(done), batch);
    hub_.publish(std::move(batch));
}

void MarketPipeline::on_ticks(std::span<const ports::Tick> ticks) {
    realtime::Hub::Batch batch;
    std::optional<std::int64_t> newest;
    for (const auto& tick : ticks) {
        process(tick, {}, batch);
        newest = std::max(newest.value_or(tick.ts_ms), tick.ts_ms);
    }
    if (newest) {
        {
            std::lock_guard lock(feed_time_mutex_);
            if (!newest_tick_ms_ || *newest > *newest_tick_ms_) {
                newest_tick_ms_ = newest;
                newest_received_ms_ = trading_.now_ms();
            }
        }
        close_candles(*newest - kLateTickMs, batch);
    }
    hub_.publish(std::move(batch));
}

void MarketPipeline::close_candles_on_clock(std::int64_t now_ms) {
    std::int64_t feed_now = 0;
    {
        std::lock_guard lock(feed_time_mutex_);
        if (!newest_tick_ms_) {
            return;  // nothing has ticked: no candle is open
        }
        feed_now = *newest_tick_ms_ + std::max<std::int64_t>(0, now_ms - newest_received_ms_);
    }
    close_candles(std::min(now_ms, feed_now) - kLateTickMs);
}

void MarketPipeline::close_candles(std::int64_t now_ms) {
    realtime::Hub::Batch batch;
    close_candles(now_ms, batch);
    hub_.publish(std::move(batch));
}

void MarketPipeline::close_candles(std::int64_t now_ms, realtime::Hub::Batch& batch) {
    for (const auto& [symbol, closed] : candles_.close_until(now_ms)) {
        candle_closed(symbol, closed, closed.candle.close, now_ms, batch);
    }
}

void MarketPipeline::process(const ports::Tick& tick, std::function<void()> done,
                             realtime::Hub::Batch& batch) {
    // The price reaches the engine now, in feed order (a later tick must never be overtaken by
    // an earlier one waiting for its candle to be stored); done waits for both.
    auto pending = std::make_shared<std::atomic<int>>(2);
    auto finish = [pending, done = std::move(done)] {
        if (pending->fetch_sub(1) == 1 && done) {
            done();
        }
    };
    const auto result = candles_.on_tick(tick.symbol, tick.price, tick.volume, tick.ts_ms, finish);
    trading_.on_price(tick.symbol, tick.price, tick.ts_ms, finish);

    // Slow readers get only the newest price and the newest open candle (coalescing key =
    // channel); a closed candle is never replaced. Nothing is serialized for a channel nobody
    // on this instance reads.
    auto prices = realtime::prices_channel(tick.symbol);
    if (hub_.has_subscribers(prices)) {
        auto text = realtime::price_message(tick.symbol, tick.price, tick.ts_ms);
        batch.emplace_back(prices, realtime::make_message(std::move(text), prices));
    }
    for (const auto& closed : result.closed) {
        candle_closed(tick.symbol, closed, tick.price, tick.ts_ms, batch);
    }
    for (const auto interval : market::kIntervals) {
        const auto& current = result.current[static_cast<std::size_t>(interval)];
        auto channel = realtime::candles_channel(tick.symbol, market::to_string(interval));
        if (current && hub_.has_subscribers(channel)) {
            auto text = realtime::candle_message(tick.symbol, interval, *current);
            batch.emplace_back(channel, realtime::make_message(std::move(text), channel));
        }
    }
}

void MarketPipeline::candle_closed(const std::string& symbol, const market::ClosedCandle& closed,
                                   domain::Decimal price, std::int64_t now_ms,
                                   realtime::Hub::Batch& batch) {
    auto channel = realtime::candles_channel(symbol, market::to_string(closed.interval));
    if (hub_.has_subscribers(channel)) {
        batch.emplace_back(channel, realtime::make_message(realtime::candle_message(
                                        symbol, closed.interval, closed.candle)));
    }
    const auto update = analysis_.on_candle_closed(symbol, closed.interval, closed.candle, now_ms);
    // computed_ms is when the candle closed (its closing tick's time, or the feed's); the hour
    // it is cached runs on the clock, also for ticks of the past (a replay, manual prices).
    store_.save_analysis(symbol,
                         {update.snapshot.computed_ms, trading_.now_ms() + api::kSignalTtlMs,
                          api::signal_json(symbol, update.snapshot, true)});
    const auto& signal = update.snapshot.signal;
    if (auto signals = realtime::signals_channel(symbol); hub_.has_subscribers(signals)) {
        batch.emplace_back(std::move(signals),
                           realtime::make_message(realtime::signal_message(
                               symbol, analysis::to_string(signal.direction), signal.confidence,
                               update.snapshot.computed_ms)));
    }
    // The bots' day and cooldowns run on the clock their trades are stamped with, not on
    // the feed's time (a replay runs ahead of it, or in the past).
    bots_.on_votes(symbol, closed.interval, closed.candle.open_ms, update.timeframe.votes, price,
                   trading_.now_ms());
}

engine::EventSink MarketPipeline::user_events() {
    return engine::EventSink{
        [this](const std::string& user_id) {
            return hub_.wants_user_events(user_id) || bots_.has_bot(user_id) ||
                   (bus_.crosses_instances() && hub_.connected_anywhere(user_id));
        },
        [this](engine::UserEvents events) {
            const auto& user = events.user_id;
            if (!events.trades.empty()) {
                bots_.on_trades(user, events.trades);
            }
            if (!bus_.crosses_instances() && !hub_.wants_user_events(user)) {
                return;
            }
            // Serialized JSON has no raw newline, so one per line keeps the
            // messages apart.
            std::string lines;
            const auto add = [&lines](const std::string& text) {
                lines += text;
                lines += '\n';
            };
            for (const auto& order : events.orders) {
                add(realtime::order_event(order));
            }
            for (const auto& trade : events.trades) {
                add(realtime::trade_event(trade));
            }
            for (const auto& position : events.positions) {
                add(realtime::position_event(position));
            }
            for (const auto& symbol : events.closed_positions) {
                add(realtime::position_closed_event(symbol, events.ts_ms));
            }
            if (events.account) {
                add(realtime::account_event(*events.account));
            }
            if (!lines.empty()) {
                bus_.publish(kUserTopic, user, std::move(lines));
            }
        }};
}

void MarketPipeline::deliver_user_events(std::string_view user_id, std::string_view lines) {
    const std::string user(user_id);
    if (!hub_.wants_user_events(user)) {
        return;
    }
    while (!lines.empty()) {
        const auto end = lines.find('\n');
        const auto line = lines.substr(0, end);
        if (!line.empty()) {
            hub_.publish_to_user(user, realtime::make_message(std::string(line)));
        }
        lines = end == std::string_view::npos ? std::string_view() : lines.substr(end + 1);
    }
}

}  // namespace botcore
