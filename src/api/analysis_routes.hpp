// /api/analysis/{symbol}: the platform's multi-timeframe signal, and /api/bot: the user's bot.
#pragma once

#include "api/router.hpp"
#include "auth/auth_service.hpp"
#include "engine/analysis_service.hpp"
#include "ports/clock.hpp"

namespace botcore::api {

struct AnalysisContext {
    auth::AuthService& auth;
    engine::AnalysisService& analysis;
    const ports::Clock& clock;
};

void add_analysis_routes(Router& router, AnalysisContext context);

}  // namespace botcore::api
