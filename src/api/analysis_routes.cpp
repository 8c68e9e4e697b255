#include "api/analysis_routes.hpp"

#include "api/analysis_json.hpp"
#include "api/auth_routes.hpp"
#include "domain/symbol.hpp"

namespace botcore::api {

namespace {

// A signal is recomputed whenever a candle closes; one older than this is recomputed on read.
constexpr std::int64_t kSignalTtlMs = 3'600'000;

}  // namespace

void add_analysis_routes(Router& router, AnalysisContext context) {
    router.add_async(
        Method::kGet, "/api/analysis/{symbol}",
        authenticated(context.auth, [context](const std::string&, const HttpRequest&,
                                              const PathParams& params, Responder respond) {
            const std::string symbol(params.get("symbol"));
            if (domain::SymbolCatalog::default_catalog().find(symbol) == nullptr) {
                respond(error_response(ApiError::not_found("unknown symbol '" + symbol + "'")));
                return;
            }
            const auto now = context.clock.now_ms();
            auto snapshot = context.analysis.latest(symbol);
            const bool cached = snapshot && now - snapshot->computed_ms < kSignalTtlMs;
            if (!cached) {
                snapshot = context.analysis.compute(symbol, now);
            }
            respond(json_response(200, signal_json(symbol, *snapshot, cached)));
        }));
}

}  // namespace botcore::api
