// The JSON shapes of trading and market objects, shared by the HTTP routes and the WebSocket
// events.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "api/json.hpp"
#include "domain/account.hpp"
#include "domain/order.hpp"
#include "domain/trade.hpp"
#include "engine/trading_service.hpp"
#include "market/candles.hpp"

namespace botcore::api {

// "name": "<decimal>" or "name": null.
void decimal_or_null(JsonWriter& json, std::string_view name,
                     const std::optional<domain::Decimal>& value);
void write_fill(JsonWriter& json, const domain::Fill& fill);
// fills: the order's fills, or null to leave the field out.
void write_order(JsonWriter& json, const domain::Order& order,
                 const std::vector<domain::Fill>* fills);
void write_position(JsonWriter& json, const engine::PositionView& view);
void write_trade(JsonWriter& json, const domain::Trade& trade);
void write_account(JsonWriter& json, const domain::AccountView& account);
void write_performance(JsonWriter& json, const domain::Performance& performance);
void write_candle(JsonWriter& json, const market::Candle& candle);

}  // namespace botcore::api
