#include "api/bot_routes.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

#include "api/auth_routes.hpp"
#include "api/json.hpp"

namespace botcore::api {

std::string bot_settings_json(const analysis::BotSettings& s) {
    JsonWriter json;
    json.begin_object();
    json.field("enabled", s.enabled);
    json.key("symbols");
    json.begin_array();
    for (const auto& symbol : s.symbols) {
        json.value(symbol);
    }
    json.end_array();
    json.key("strategies");
    json.begin_array();
    for (const auto strategy : analysis::kStrategies) {
        if (s.strategies.contains(strategy)) {
            json.value(analysis::to_string(strategy));
        }
    }
    json.end_array();
    json.field("combination_mode", analysis::to_string(s.combination_mode));
    json.field("timeframe", market::to_string(s.timeframe));
    json.field("leverage", s.leverage);
    json.field("position_size_pct", s.position_size_pct.to_string());
    json.field("stop_loss_pct", s.stop_loss_pct.to_string());
    json.field("take_profit_pct", s.take_profit_pct.to_string());
    json.field("daily_loss_limit_pct", s.daily_loss_limit_pct.to_string());
    json.field("max_consecutive_losses", s.max_consecutive_losses);
    json.field("cooldown_minutes", s.cooldown_minutes);
    json.end_object();
    return json.take();
}

std::expected<analysis::BotSettings, ApiError> parse_bot_settings(std::string_view body,
                                                                  analysis::BotSettings s) {
    JsonFields in(body, {"enabled", "symbols", "strategies", "combination_mode", "timeframe",
                         "leverage", "position_size_pct", "stop_loss_pct", "take_profit_pct",
                         "daily_loss_limit_pct", "max_consecutive_losses", "cooldown_minutes"});
    const auto int_field = [&in](std::string_view name, int& target) {
        if (const auto value = in.optional_int(name)) {
            if (*value < -1'000'000 || *value > 1'000'000) {
                in.fail(ApiError::validation(std::string(name), "out of range"));
            } else {
                target = static_cast<int>(*value);
            }
        }
    };
    const auto decimal_field = [&in](std::string_view name, domain::Decimal& target) {
        if (const auto value = in.optional_decimal(name)) {
            target = *value;
        }
    };
    if (const auto enabled = in.optional_bool("enabled")) {
        s.enabled = *enabled;
    }
    if (auto symbols = in.optional_string_array("symbols")) {
        s.symbols = std::move(*symbols);
    }
    if (const auto names = in.optional_string_array("strategies")) {
        std::vector<std::string_view> views(names->begin(), names->end());
        if (auto set = analysis::parse_strategies(views)) {
            s.strategies = *set;
        } else {
            in.fail(ApiError::validation(set.error().field, set.error().message));
        }
    }
    if (const auto mode = in.optional_string("combination_mode")) {
        if (const auto parsed = analysis::parse_combination_mode(*mode)) {
            s.combination_mode = *parsed;
        } else {
            in.fail(ApiError::validation(
                "combination_mode",
                "combination_mode must be consensus, weighted, best_confidence or conservative"));
        }
    }
    if (const auto timeframe = in.optional_string("timeframe")) {
        if (const auto parsed = market::parse_interval(*timeframe)) {
            s.timeframe = *parsed;
        } else {
            in.fail(ApiError::validation("timeframe", "timeframe must be 5m, 15m or 1h"));
        }
    }
    int_field("leverage", s.leverage);
    decimal_field("position_size_pct", s.position_size_pct);
    decimal_field("stop_loss_pct", s.stop_loss_pct);
    decimal_field("take_profit_pct", s.take_profit_pct);
    decimal_field("daily_loss_limit_pct", s.daily_loss_limit_pct);
    int_field("max_consecutive_losses", s.max_consecutive_losses);
    int_field("cooldown_minutes", s.cooldown_minutes);
    if (in.error()) {
        return std::unexpected(*in.error());
    }
    if (auto valid = analysis::validate(s); !valid) {
        return std::unexpected(ApiError::validation(valid.error().field, valid.error().message));
    }
    return s;
}

namespace {

// A user's settings as stored, and the revision they were saved at (nullopt: never saved).
struct Held {
    analysis::BotSettings settings = analysis::defaults();
    std::optional<std::int64_t> revision;
};

Held held_settings(const std::optional<ports::StoredBot>& stored) {
    Held held;
    if (stored) {
        held.revision = stored->updated_ms;
        // A document this version cannot read is replaced as if it were the defaults.
        if (auto settings = parse_bot_settings(stored->settings_json, held.settings)) {
            held.settings = std::move(*settings);
        }
    }
    return held;
}

// Applies the request's fields to the stored settings in the store's transaction, so concurrent
// changes (two requests, or two instances) each apply to the one before.
void change_settings(const BotContext& context, const std::string& user_id, const std::string& body,
                     const Responder& respond) {
    struct Outcome {
        std::optional<ApiError> refused;
        analysis::BotSettings settings;
        std::string document;
        std::int64_t revision = 0;
    };
    auto outcome = std::make_shared<Outcome>();
    context.store.change_bot(
        user_id,
        [context, user_id, body, outcome](
            const std::optional<ports::StoredBot>& stored) -> std::optional<ports::StoredBot> {
            const auto held = held_settings(stored);
            auto settings = parse_bot_settings(body, held.settings);
            // Symbols a bot is given must be traded here; those it had may have been dropped
            // from market.symbols since, and leave its other settings changeable.
            if (settings && settings->symbols != held.settings.symbols) {
                for (const auto& symbol : settings->symbols) {
                    if (context.symbols.find(symbol) == nullptr) {
                        settings = std::unexpected(ApiError::validation(
                            "symbols", "symbol '" + symbol + "' is not traded here"));
                        break;
                    }
                }
            }
            if (!settings) {
                outcome->refused = settings.error();
                return std::nullopt;
            }
            outcome->refused.reset();
            outcome->settings = std::move(*settings);
            outcome->document = bot_settings_json(outcome->settings);
            // Later than the revision it replaces even if this instance's clock is behind.
            outcome->revision = std::max(context.clock.now_ms(), held.revision.value_or(0) + 1);
            return ports::StoredBot{user_id, outcome->document, outcome->revision};
        },
        [context, user_id, outcome, respond](std::exception_ptr error) {
            if (error) {
                respond(
                    error_response(ApiError::unavailable("the store is unavailable; retry later")));
            } else if (outcome->refused) {
                respond(error_response(*outcome->refused));
            } else {
                // Answered once durable; the running bot changes only then.
                context.bots.set(user_id, outcome->settings, outcome->revision);
                respond(json_response(200, outcome->document));
            }
        });
}

}  // namespace

void add_bot_routes(Router& router, BotContext context) {
    // Read from the store, not the running bots: a change saved through another instance is
    // seen at once.
    router.add_async(
        Method::kGet, "/api/bot",
        authenticated(context.auth, [context](const std::string& user_id, const HttpRequest&,
                                              const PathParams&, Responder respond) {
            respond(json_response(
                200, bot_settings_json(held_settings(context.store.find_bot(user_id)).settings)));
        }));
    router.add_async(Method::kPut, "/api/bot",
                     authenticated(context.auth,
                                   [context](const std::string& user_id, const HttpRequest& request,
                                             const PathParams&, Responder respond) {
                                       change_settings(context, user_id, request.body, respond);
                                   }));
}

}  // namespace botcore::api
