#include "api/analysis_routes.hpp"

#include "api/analysis_json.hpp"
#include "api/auth_routes.hpp"
#include "domain/symbol.hpp"

namespace botcore::api {

void add_analysis_routes(Router& router, AnalysisContext context) {
    router.add_async(
        Method::kGet, "/api/analysis/{symbol}",
        authenticated(context.auth, [context](const std::string&, const HttpRequest&,
                                              const PathParams& params, Responder respond) {
            const std::string symbol(params.get("symbol"));
            if (context.symbols.find(symbol) == nullptr) {
                respond(error_response(ApiError::not_found("unknown symbol '" + symbol + "'")));
                return;
            }
            const auto now = context.clock.now_ms();
            if (auto snapshot = context.analysis.latest(symbol);
                snapshot && now - snapshot->computed_ms < kSignalTtlMs) {
                respond(json_response(200, signal_json(symbol, *snapshot, true)));
                return;
            }
            // Computed by another instance (or before a restart) within the hour.
            if (auto stored = context.store.find_analysis(symbol);
                stored && now < stored->expires_ms) {
                respond(json_response(200, std::move(stored->body)));
                return;
            }
            const auto snapshot = context.analysis.compute(symbol, now);
            context.store.save_analysis(symbol,
                                        {snapshot.computed_ms, snapshot.computed_ms + kSignalTtlMs,
                                         signal_json(symbol, snapshot, true)});
            respond(json_response(200, signal_json(symbol, snapshot, false)));
        }));
}

}  // namespace botcore::api
