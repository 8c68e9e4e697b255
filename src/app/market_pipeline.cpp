#include "app/market_pipeline.hpp"

#include "realtime/channel.hpp"
#include "realtime/server_messages.hpp"

namespace botcore {

void MarketPipeline::on_tick(const ports::Tick& tick, std::function<void()> done) {
    const auto result = candles_.on_tick(tick.symbol, tick.price, tick.volume, tick.ts_ms,
                                         [this, symbol = tick.symbol, price = tick.price,
                                          ts = tick.ts_ms, done = std::move(done)]() mutable {
                                             trading_.on_price(symbol, price, ts, std::move(done));
                                         });

    // Slow readers get only the newest price and the newest open candle (coalescing key =
    // channel); a closed candle is never replaced.
    auto prices = realtime::prices_channel(tick.symbol);
    hub_.publish(prices, realtime::make_message(
                             realtime::price_message(tick.symbol, tick.price, tick.ts_ms), prices));
    for (const auto& closed : result.closed) {
        hub_.publish(realtime::candles_channel(tick.symbol, market::to_string(closed.interval)),
                     realtime::make_message(
                         realtime::candle_message(tick.symbol, closed.interval, closed.candle)));
    }
    for (const auto interval : market::kIntervals) {
        const auto& current = result.current[static_cast<std::size_t>(interval)];
        if (current) {
            auto channel = realtime::candles_channel(tick.symbol, market::to_string(interval));
            hub_.publish(channel,
                         realtime::make_message(
                             realtime::candle_message(tick.symbol, interval, *current), channel));
        }
    }
}

engine::EventSink MarketPipeline::user_events() {
    return engine::EventSink{
        [this](const std::string& user_id) {
            return hub_.wants_user_events(user_id) || bots_.has_bot(user_id);
        },
        [this](engine::UserEvents events) {
            const auto& user = events.user_id;
            if (!events.trades.empty()) {
                bots_.on_trades(user, events.trades);
            }
            if (!hub_.wants_user_events(user)) {
                return;
            }
            for (const auto& order : events.orders) {
                hub_.publish_to_user(user, realtime::make_message(realtime::order_event(order)));
            }
            for (const auto& trade : events.trades) {
                hub_.publish_to_user(user, realtime::make_message(realtime::trade_event(trade)));
            }
            for (const auto& position : events.positions) {
                hub_.publish_to_user(user,
                                     realtime::make_message(realtime::position_event(position)));
            }
            for (const auto& symbol : events.closed_positions) {
                hub_.publish_to_user(user, realtime::make_message(realtime::position_closed_event(
                                               symbol, events.ts_ms)));
            }
            if (events.account) {
                hub_.publish_to_user(
                    user, realtime::make_message(realtime::account_event(*events.account)));
            }
        }};
}

}  // namespace botcore
