#include "api/trading_routes.hpp"

#include <charconv>

#include "api/auth_routes.hpp"
#include "api/cursor.hpp"
#include "api/json.hpp"
#include "api/trading_json.hpp"
#include "domain/symbol.hpp"

namespace botcore::api {

namespace {

using domain::Decimal;

HttpResponse account_response(const domain::AccountView& a) {
    JsonWriter json;
    write_account(json, a);
    return json_response(200, json.take());
}

template <class Write, class T>
HttpResponse one(int status, Write write, const T& value) {
    JsonWriter json;
    write(json, value);
    return json_response(status, json.take());
}

// limit: 1..1000, default 100. The cursor is one this API handed out.
struct PageRequest {
    int limit = 100;
    std::optional<ports::PageAfter> after;
};

std::expected<PageRequest, ApiError> page_request(const HttpRequest& request) {
    PageRequest page;
    if (const auto limit = request.query_param("limit")) {
        int value = 0;
        const auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), value);
        if (ec != std::errc{} || end != limit->data() + limit->size() || value < 1 ||
            value > 1000) {
            return std::unexpected(
                ApiError::validation("limit", "limit must be an integer from 1 to 1000"));
        }
        page.limit = value;
    }
    if (const auto cursor = request.query_param("cursor"); cursor && !cursor->empty()) {
        const auto position = decode_cursor(*cursor);
        if (!position) {
            return std::unexpected(
                ApiError::validation("cursor", "not a cursor this API returned"));
        }
        page.after = ports::PageAfter{*position};
    }
    return page;
}

std::expected<std::optional<std::int64_t>, ApiError> time_param(const HttpRequest& request,
                                                                std::string_view name) {
    const auto text = request.query_param(name);
    if (!text) {
        return std::optional<std::int64_t>{};
    }
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size() || value < 0) {
        return std::unexpected(ApiError::validation(
            std::string(name), std::string(name) + " must be milliseconds since the epoch"));
    }
    return std::optional<std::int64_t>(value);
}

// Items newest first; asked with limit + 1 so a further page is known to exist. The cursor is
// the last item's id (ids are ordered by creation).
template <class T, class Write>
HttpResponse page_response(std::vector<T> items, int limit, Write write) {
    std::optional<std::string> next;
    if (static_cast<int>(items.size()) > limit) {
        items.resize(static_cast<std::size_t>(limit));
        next = encode_cursor(items.back().id);
    }
    JsonWriter json;
    json.begin_object();
    json.key("items");
    json.begin_array();
    for (const auto& item : items) {
        write(json, item);
    }
    json.end_array();
    json.key("next_cursor");
    next ? json.value(*next) : json.null();
    json.end_object();
    return json_response(200, json.take());
}

std::optional<std::string> symbol_param(const HttpRequest& request) {
    auto symbol = request.query_param("symbol");
    return symbol && !symbol->empty() ? symbol : std::nullopt;
}

bool valid_client_order_id(std::string_view id) {
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
               c == ':';
    });
}

std::expected<domain::OrderRequest, ApiError> order_request(const HttpRequest& request) {
    JsonFields body(request.body,
                    {"client_order_id", "symbol", "side", "type", "quantity", "price", "stop_price",
                     "leverage", "reduce_only", "stop_loss", "take_profit", "trailing_stop_pct"});
    domain::OrderRequest order;
    order.client_order_id = body.optional_string("client_order_id");
    if (order.client_order_id && !valid_client_order_id(*order.client_order_id)) {
        body.fail(ApiError::validation("client_order_id",
                                       "client_order_id must be 1-64 of A-Z a-z 0-9 - _ . :"));
    }
    order.symbol = body.required_string("symbol");
    const auto side = body.required_string("side");
    if (!body.error() && !domain::parse_side(side)) {
        body.fail(ApiError::validation("side", "side must be buy or sell"));
    }
    const auto type = body.required_string("type");
    if (!body.error() && !domain::parse_order_type(type)) {
        body.fail(ApiError::validation("type", "type must be market, limit or stop_limit"));
    }
    order.quantity = body.required_decimal("quantity");
    order.price = body.optional_decimal("price");
    order.stop_price = body.optional_decimal("stop_price");
    if (const auto leverage = body.optional_int("leverage")) {
        if (*leverage < 1 || *leverage > 125) {
            body.fail(ApiError::validation("leverage", "leverage must be from 1 to 125"));
        }
        order.leverage = static_cast<int>(*leverage);
    }
    order.reduce_only = body.optional_bool("reduce_only").value_or(false);
    order.stop_loss = body.optional_decimal("stop_loss");
    order.take_profit = body.optional_decimal("take_profit");
    order.trailing_stop_pct = body.optional_decimal("trailing_stop_pct");
    if (body.error()) {
        return std::unexpected(*body.error());
    }
    order.side = *domain::parse_side(side);
    order.type = *domain::parse_order_type(type);
    return order;
}

}  // namespace

ApiError to_api_error(const engine::TradingError& error) {
    switch (error.kind) {
        case engine::TradingErrorKind::kUnavailable:
            return ApiError::unavailable(error.message);
        case engine::TradingErrorKind::kNotFound:
            return ApiError::not_found(error.message);
        case engine::TradingErrorKind::kRejected:
            break;
    }
    switch (error.order.code) {
        case domain::OrderErrorCode::kInsufficientMargin: {
            auto api = ApiError::insufficient_margin(error.order.message);
            if (!error.order.field.empty()) {
                api.field = error.order.field;
            }
            return api;
        }
        case domain::OrderErrorCode::kOrderNotOpen:
            return ApiError::conflict(error.order.message);
        case domain::OrderErrorCode::kNoPosition:
            return ApiError::not_found(error.order.message);
        default:
            return ApiError::validation(error.order.field.empty() ? "request" : error.order.field,
                                        error.order.message);
    }
}

void add_trading_routes(Router& router, TradingContext context) {
    auto& auth = context.auth;
    auto& trading = context.trading;
    auto& store = context.store;
    auto& prices = context.prices;
    auto& candles = context.candles;
    const auto reply_error = [](const Responder& respond, const auto& error) {
        respond(error_response(to_api_error(error)));
    };

    router.add_async(
        Method::kGet, "/api/account",
        authenticated(auth, [&trading](const std::string& user_id, const HttpRequest&,
                                       const PathParams&, Responder respond) {
            auto view = trading.account(user_id);
            respond(view ? account_response(*view) : error_response(to_api_error(view.error())));
        }));

    router.add_async(Method::kPost, "/api/account/reset",
                     authenticated(auth, [&trading, reply_error](
                                             const std::string& user_id, const HttpRequest& request,
                                             const PathParams&, Responder respond) {
                         if (!request.body.empty()) {
                             JsonFields body(request.body, {});
                             if (body.error()) {
                                 respond(error_response(*body.error()));
                                 return;
                             }
                         }
                         trading.reset(user_id, [respond, reply_error](auto result) {
                             result ? respond(account_response(*result))
                                    : reply_error(respond, result.error());
                         });
                     }));

    router.add_async(
        Method::kPost, "/api/orders",
        authenticated(auth, [&trading, reply_error, &limit = context.order_limit](
                                const std::string& user_id, const HttpRequest& request,
                                const PathParams&, Responder respond) {
            if (const auto retry_after = limit.refuse(user_id)) {
                respond(error_response(ApiError::rate_limited(
                    "at most " + std::to_string(limit.per_minute()) + " orders per minute",
                    *retry_after)));
                return;
            }
            auto order = order_request(request);
            if (!order) {
                respond(error_response(order.error()));
                return;
            }
            trading.place_order(user_id, std::move(*order), [respond, reply_error](auto result) {
                if (!result) {
                    reply_error(respond, result.error());
                    return;
                }
                JsonWriter json;
                write_order(json, result->order, &result->fills);
                respond(json_response(result->duplicate ? 200 : 201, json.take()));
            });
        }));

    router.add_async(
        Method::kGet, "/api/orders",
        authenticated(auth, [&store](const std::string& user_id, const HttpRequest& request,
                                     const PathParams&, Responder respond) {
            auto page = page_request(request);
            if (!page) {
                respond(error_response(page.error()));
                return;
            }
            ports::OrderQuery query{std::nullopt, symbol_param(request), page->after,
                                    page->limit + 1};
            if (const auto status = request.query_param("status"); status && !status->empty()) {
                query.status = domain::parse_order_status(*status);
                if (!query.status) {
                    respond(error_response(ApiError::validation(
                        "status", "status must be open, filled or cancelled")));
                    return;
                }
            }
            respond(page_response(
                store.orders(user_id, query), page->limit,
                [](JsonWriter& json, const domain::Order& o) { write_order(json, o, nullptr); }));
        }));

    router.add_async(Method::kGet, "/api/orders/{id}",
                     authenticated(auth, [&store](const std::string& user_id, const HttpRequest&,
                                                  const PathParams& params, Responder respond) {
                         auto order = store.find_order(user_id, params.get("id"));
                         if (!order) {
                             respond(error_response(ApiError::not_found("no such order")));
                             return;
                         }
                         const auto fills = store.fills(user_id, order->id);
                         respond(one(
                             200,
                             [&fills](JsonWriter& json, const domain::Order& o) {
                                 write_order(json, o, &fills);
                             },
                             *order));
                     }));

    router.add_async(
        Method::kDelete, "/api/orders/{id}",
        authenticated(auth, [&trading, reply_error](const std::string& user_id, const HttpRequest&,
                                                    const PathParams& params, Responder respond) {
            trading.cancel_order(user_id, std::string(params.get("id")),
                                 [respond, reply_error](auto result) {
                                     result ? respond(one(
                                                  200,
                                                  [](JsonWriter& json, const domain::Order& o) {
                                                      write_order(json, o, nullptr);
                                                  },
                                                  *result))
                                            : reply_error(respond, result.error());
                                 });
        }));

    router.add_async(Method::kGet, "/api/positions",
                     authenticated(auth, [&trading](const std::string& user_id, const HttpRequest&,
                                                    const PathParams&, Responder respond) {
                         auto positions = trading.positions(user_id);
                         if (!positions) {
                             respond(error_response(to_api_error(positions.error())));
                             return;
                         }
                         JsonWriter json;
                         json.begin_object();
                         json.key("positions");
                         json.begin_array();
                         for (const auto& view : *positions) {
                             write_position(json, view);
                         }
                         json.end_array();
                         json.end_object();
                         respond(json_response(200, json.take()));
                     }));

    router.add_async(
        Method::kPatch, "/api/positions/{symbol}",
        authenticated(
            auth, [&trading, reply_error](const std::string& user_id, const HttpRequest& request,
                                          const PathParams& params, Responder respond) {
                JsonFields body(request.body, {"stop_loss", "take_profit", "trailing_stop_pct"});
                domain::ProtectionUpdate update{body.nullable_decimal("stop_loss"),
                                                body.nullable_decimal("take_profit"),
                                                body.nullable_decimal("trailing_stop_pct")};
                if (body.error()) {
                    respond(error_response(*body.error()));
                    return;
                }
                trading.set_protection(user_id, std::string(params.get("symbol")), update,
                                       [respond, reply_error](auto result) {
                                           result ? respond(one(200, write_position, *result))
                                                  : reply_error(respond, result.error());
                                       });
            }));

    router.add_async(Method::kPost, "/api/positions/{symbol}/close",
                     authenticated(auth, [&trading, reply_error](
                                             const std::string& user_id, const HttpRequest& request,
                                             const PathParams& params, Responder respond) {
                         std::optional<Decimal> quantity;
                         if (!request.body.empty()) {
                             JsonFields body(request.body, {"quantity"});
                             quantity = body.optional_decimal("quantity");
                             if (body.error()) {
                                 respond(error_response(*body.error()));
                                 return;
                             }
                         }
                         trading.close_position(user_id, std::string(params.get("symbol")),
                                                quantity, [respond, reply_error](auto result) {
                                                    result ? respond(one(200, write_trade, *result))
                                                           : reply_error(respond, result.error());
                                                });
                     }));

    router.add_async(
        Method::kGet, "/api/trades",
        authenticated(auth, [&store](const std::string& user_id, const HttpRequest& request,
                                     const PathParams&, Responder respond) {
            auto page = page_request(request);
            auto from = time_param(request, "from_ms");
            auto to = time_param(request, "to_ms");
            if (!page || !from || !to) {
                respond(error_response(!page ? page.error() : !from ? from.error() : to.error()));
                return;
            }
            ports::TradeQuery query{symbol_param(request), *from, *to, page->after,
                                    page->limit + 1};
            respond(page_response(store.trades(user_id, query), page->limit, write_trade));
        }));

    router.add_async(Method::kGet, "/api/portfolio/performance",
                     authenticated(auth, [&trading, cache = context.cache](
                                             const std::string& user_id, const HttpRequest&,
                                             const PathParams&, Responder respond) {
                         // Cache-aside under the book's revision: every write advances it, so an
                         // entry is never read once the trades it was computed from changed; it
                         // lapses after 60 s.
                         std::optional<std::int64_t> revision;
                         std::string key;
                         if (cache != nullptr) {
                             revision = trading.revision(user_id);
                             if (revision) {
                                 key = "perf:" + user_id + ":" + std::to_string(*revision);
                                 if (auto hit = cache->get(key)) {
                                     respond(json_response(200, std::move(*hit)));
                                     return;
                                 }
                             }
                         }
                         auto result = trading.performance(user_id);
                         if (!result) {
                             respond(error_response(to_api_error(result.error())));
                             return;
                         }
                         JsonWriter json;
                         write_performance(json, result->performance);
                         auto body = json.take();
                         // Trades read on a replica behind that revision are served, not cached
                         // under it.
                         if (!key.empty() && result->revision == revision) {
                             cache->put(key, body, std::chrono::seconds(60));
                         }
                         respond(json_response(200, std::move(body)));
                     }));

    router.add_async(Method::kGet, "/api/market/symbols",
                     authenticated(auth, [&trading](const std::string&, const HttpRequest&,
                                                    const PathParams&, Responder respond) {
                         JsonWriter json;
                         json.begin_object();
                         json.key("symbols");
                         json.begin_array();
                         for (const auto& spec : trading.symbols().all()) {
                             json.begin_object();
                             json.field("symbol", spec.name);
                             json.field("tick_size", spec.tick_size.to_string());
                             json.field("step_size", spec.step_size.to_string());
                             json.field("min_notional", spec.min_notional.to_string());
                             json.field("max_leverage", spec.max_leverage);
                             json.end_object();
                         }
                         json.end_array();
                         json.key("intervals");
                         json.begin_array();
                         for (const char* interval : {"1m", "5m", "15m", "1h"}) {
                             json.value(interval);
                         }
                         json.end_array();
                         json.end_object();
                         respond(json_response(200, json.take()));
                     }));

    router.add_async(
        Method::kGet, "/api/market/candles/{symbol}",
        authenticated(auth, [&candles, &trading](const std::string&, const HttpRequest& request,
                                                 const PathParams& params, Responder respond) {
            const std::string symbol(params.get("symbol"));
            if (trading.symbols().find(symbol) == nullptr) {
                respond(error_response(ApiError::not_found("unknown symbol '" + symbol + "'")));
                return;
            }
            const auto interval =
                market::parse_interval(request.query_param("interval").value_or("1m"));
            if (!interval) {
                respond(error_response(
                    ApiError::validation("interval", "interval must be 1m, 5m, 15m or 1h")));
                return;
            }
            int limit = 500;
            if (const auto text = request.query_param("limit")) {
                const auto [end, ec] =
                    std::from_chars(text->data(), text->data() + text->size(), limit);
                if (ec != std::errc{} || end != text->data() + text->size() || limit < 1 ||
                    limit > 1000) {
                    respond(error_response(
                        ApiError::validation("limit", "limit must be an integer from 1 to 1000")));
                    return;
                }
            }
            auto end_ms = time_param(request, "end_ms");
            if (!end_ms) {
                respond(error_response(end_ms.error()));
                return;
            }
            JsonWriter json;
            json.begin_object();
            json.field("symbol", symbol);
            json.field("interval", market::to_string(*interval));
            json.key("candles");
            json.begin_array();
            for (const auto& c : candles.candles(symbol, *interval, *end_ms, limit)) {
                write_candle(json, c);
            }
            json.end_array();
            json.end_object();
            respond(json_response(200, json.take()));
        }));

    router.add_async(Method::kGet, "/api/market/prices",
                     authenticated(auth, [&prices](const std::string&, const HttpRequest&,
                                                   const PathParams&, Responder respond) {
                         JsonWriter json;
                         json.begin_object();
                         json.key("prices");
                         json.begin_object();
                         for (const auto& [symbol, tick] : prices.all()) {
                             json.key(symbol);
                             json.begin_object();
                             json.field("price", tick.price.to_string());
                             json.field("ts_ms", tick.ts_ms);
                             json.end_object();
                         }
                         json.end_object();
                         json.end_object();
                         respond(json_response(200, json.take()));
                     }));

    if (context.manual_tick) {
        // Answers once every trigger the price reached has been evaluated and committed.
        router.add_async(
            Method::kPost, "/api/market/prices",
            authenticated(auth, [tick_to = context.manual_tick, &trading](
                                    const std::string&, const HttpRequest& request,
                                    const PathParams&, Responder respond) {
                JsonFields body(request.body, {"symbol", "price", "ts_ms"});
                auto symbol = body.required_string("symbol");
                auto price = body.required_decimal("price");
                auto ts = body.optional_int("ts_ms");
                if (!body.error() && trading.symbols().find(symbol) == nullptr) {
                    body.fail(ApiError::validation("symbol", "unknown symbol '" + symbol + "'"));
                }
                if (!body.error() && price <= Decimal{}) {
                    body.fail(ApiError::validation("price", "price must be positive"));
                }
                if (body.error()) {
                    respond(error_response(*body.error()));
                    return;
                }
                const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
                // Answered once the candles it closed and every trigger it reached are stored.
                tick_to(ports::Tick{std::move(symbol), price, Decimal{}, ts.value_or(now)},
                        [respond] { respond(no_content()); });
            }));
    }
}

}  // namespace botcore::api
