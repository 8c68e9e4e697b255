// /api/bot: the user's strategy bot settings (GET, and PUT to change any of them), and their JSON
// document, which is also what the store keeps.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "analysis/bot_settings.hpp"
#include "api/api_error.hpp"
#include "api/router.hpp"
#include "auth/auth_service.hpp"
#include "engine/bot_service.hpp"
#include "ports/bot_store.hpp"
#include "ports/clock.hpp"

namespace botcore::api {

std::string bot_settings_json(const analysis::BotSettings& settings);
// The fields present in body replace those of base; the result is validated.
std::expected<analysis::BotSettings, ApiError> parse_bot_settings(std::string_view body,
                                                                  analysis::BotSettings base);

struct BotContext {
    auth::AuthService& auth;
    engine::BotService& bots;
    ports::BotStore& store;
    const ports::Clock& clock;
    const domain::SymbolCatalog& symbols;  // those traded here: a bot may trade only them
};

void add_bot_routes(Router& router, BotContext context);

}  // namespace botcore::api
