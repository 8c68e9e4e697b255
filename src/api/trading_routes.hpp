// /api/account, /api/orders, /api/positions, /api/trades, /api/market/*: parse, call the
// trading service, encode.
#pragma once

#include <functional>

#include "api/router.hpp"
#include "api/user_rate_limit.hpp"
#include "auth/auth_service.hpp"
#include "engine/trading_service.hpp"
#include "market/candle_book.hpp"
#include "market/price_book.hpp"
#include "ports/cache.hpp"
#include "ports/feed.hpp"
#include "ports/trading_store.hpp"

namespace botcore::api {

struct TradingContext {
    auth::AuthService& auth;
    engine::TradingService& trading;
    ports::TradingStore& store;
    market::PriceBook& prices;
    market::CandleBook& candles;
    // Lets an authenticated client set prices (tests and demos without a feed): the tick goes
    // here, and done runs once what it caused is committed. Empty: no such route.
    std::function<void(ports::Tick tick, std::function<void()> done)> manual_tick;
    // Orders each user may place per minute (across the cluster with a shared cache).
    UserRateLimit& order_limit;
    // The shared cache for hot reads (performance); nullptr: none.
    ports::Cache* cache = nullptr;
};

void add_trading_routes(Router& router, TradingContext context);

ApiError to_api_error(const engine::TradingError& error);

}  // namespace botcore::api
