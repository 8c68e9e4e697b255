#include "realtime/server_messages.hpp"

#include "api/json.hpp"
#include "api/trading_json.hpp"

namespace botcore::realtime {

namespace {

using api::JsonWriter;

// {"type":type,"<key>":<write(json)>}
template <class Write>
std::string event(std::string_view type, std::string_view key, Write write) {
    JsonWriter json;
    json.begin_object();
    json.field("type", type);
    json.key(key);
    write(json);
    json.end_object();
    return json.take();
}

}  // namespace

std::string price_message(std::string_view symbol, domain::Decimal price, std::int64_t ts_ms) {
    JsonWriter json;
    json.begin_object();
    json.field("type", "price");
    json.field("symbol", symbol);
    json.field("price", price.to_string());
    json.field("ts_ms", ts_ms);
    json.end_object();
    return json.take();
}

std::string candle_message(std::string_view symbol, market::Interval interval,
                           const market::Candle& candle) {
    JsonWriter json;
    json.begin_object();
    json.field("type", "candle");
    json.field("symbol", symbol);
    json.field("interval", market::to_string(interval));
    json.key("candle");
    api::write_candle(json, candle);
    json.end_object();
    return json.take();
}

std::string signal_message(std::string_view symbol, std::string_view signal, double confidence,
                           std::int64_t ts_ms) {
    JsonWriter json;
    json.begin_object();
    json.field("type", "signal");
    json.field("symbol", symbol);
    json.field("signal", signal);
    json.field("confidence", confidence);
    json.field("ts_ms", ts_ms);
    json.end_object();
    return json.take();
}

std::string error_message(std::string_view code, std::string_view message) {
    JsonWriter json;
    json.begin_object();
    json.field("type", "error");
    json.field("code", code);
    json.field("message", api::clip(message));
    json.end_object();
    return json.take();
}

std::string pong_message(std::int64_t ts_ms) {
    JsonWriter json;
    json.begin_object();
    json.field("type", "pong");
    json.field("ts_ms", ts_ms);
    json.end_object();
    return json.take();
}

std::string channels_message(std::string_view type, std::span<const std::string> channels) {
    JsonWriter json;
    json.begin_object();
    json.field("type", type);
    json.key("channels");
    json.begin_array();
    for (const auto& channel : channels) {
        json.value(channel);
    }
    json.end_array();
    json.end_object();
    return json.take();
}

std::string order_event(const domain::Order& order) {
    return event("order", "order",
                 [&](JsonWriter& json) { api::write_order(json, order, nullptr); });
}

std::string trade_event(const domain::Trade& trade) {
    return event("trade", "trade", [&](JsonWriter& json) { api::write_trade(json, trade); });
}

std::string position_event(const engine::PositionView& view) {
    return event("position", "position",
                 [&](JsonWriter& json) { api::write_position(json, view); });
}

std::string position_closed_event(std::string_view symbol, std::int64_t ts_ms) {
    return event("position", "position", [&](JsonWriter& json) {
        json.begin_object();
        json.field("symbol", symbol);
        json.field("closed", true);
        json.field("ts_ms", ts_ms);
        json.end_object();
    });
}

std::string account_event(const domain::AccountView& account) {
    return event("account", "account",
                 [&](JsonWriter& json) { api::write_account(json, account); });
}

}  // namespace botcore::realtime
