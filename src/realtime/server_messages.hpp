// The messages the server sends on /ws, serialized once and shared by every recipient.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "domain/account.hpp"
#include "domain/decimal.hpp"
#include "domain/order.hpp"
#include "domain/trade.hpp"
#include "engine/trading_service.hpp"
#include "market/candles.hpp"

namespace botcore::realtime {

std::string price_message(std::string_view symbol, domain::Decimal price, std::int64_t ts_ms);
std::string candle_message(std::string_view symbol, market::Interval interval,
                           const market::Candle& candle);
std::string signal_message(std::string_view symbol, std::string_view signal, double confidence,
                           std::int64_t ts_ms);
std::string error_message(std::string_view code, std::string_view message);
std::string pong_message(std::int64_t ts_ms);
// type: "subscribed" or "unsubscribed".
std::string channels_message(std::string_view type, std::span<const std::string> channels);

std::string order_event(const domain::Order& order);
std::string trade_event(const domain::Trade& trade);
std::string position_event(const engine::PositionView& view);
// The position in symbol no longer exists (closed, liquidated or reset).
std::string position_closed_event(std::string_view symbol, std::int64_t ts_ms);
std::string account_event(const domain::AccountView& account);

}  // namespace botcore::realtime
