// /api/analysis/{symbol}: the platform's multi-timeframe signal.
#pragma once

#include "api/router.hpp"
#include "auth/auth_service.hpp"
#include "domain/symbol.hpp"
#include "engine/analysis_service.hpp"
#include "ports/clock.hpp"
#include "ports/market_store.hpp"

namespace botcore::api {

struct AnalysisContext {
    auth::AuthService& auth;
    engine::AnalysisService& analysis;
    ports::MarketStore& store;  // the signal as last stored by any instance
    const ports::Clock& clock;
    const domain::SymbolCatalog& symbols;  // those traded here
};

void add_analysis_routes(Router& router, AnalysisContext context);

}  // namespace botcore::api
