// /api/account, /api/orders, /api/positions, /api/trades, /api/market/*: parse, call the
// trading service, encode.
#pragma once

#include "api/router.hpp"
#include "auth/auth_service.hpp"
#include "engine/trading_service.hpp"
#include "market/candle_book.hpp"
#include "market/price_book.hpp"
#include "ports/trading_store.hpp"

namespace botcore::api {

struct TradingContext {
    auth::AuthService& auth;
    engine::TradingService& trading;
    ports::TradingStore& store;
    market::PriceBook& prices;
    market::CandleBook& candles;
    // Lets an authenticated client set prices (tests and demos without a feed).
    bool manual_prices = false;
};

void add_trading_routes(Router& router, TradingContext context);

ApiError to_api_error(const engine::TradingError& error);

}  // namespace botcore::api
