#include "api/ops_routes.hpp"

#include <algorithm>
#include <memory>
#include <mutex>

#include "api/json.hpp"

namespace botcore::api {

namespace {

double utilization(const ops::InstanceState& instance, double cpu_percent) {
    const auto ratio = [](int used, int limit) {
        return limit > 0 ? static_cast<double>(used) / limit : 0.0;
    };
    return std::clamp(
        std::max({ratio(instance.http_connections.load(), instance.max_connections),
                  ratio(instance.ws_connections.load(), instance.ws_limit), cpu_percent / 100.0}),
        0.0, 1.0);
}

HttpResponse health(const OpsContext& context) {
    const bool store_ok = context.store.ping();
    const bool draining = context.instance.draining.load();
    const auto cache = context.cache ? context.cache->health() : ports::ServiceHealth::kDisabled;
    const auto bus = context.bus ? context.bus->health() : ports::ServiceHealth::kDisabled;
    // Without the store nothing works: 503 so the balancer sends traffic elsewhere. Without the
    // cache or the bus the instance still serves (limits per instance, events reach only its own
    // connections): degraded, but 200, or a Redis outage would take every instance out at once.
    const bool shared_failing =
        cache == ports::ServiceHealth::kFailing || bus == ports::ServiceHealth::kFailing;
    const char* status = draining ? "draining" : (store_ok && !shared_failing ? "ok" : "degraded");
    const double cpu = context.process.cpu_percent();

    JsonWriter json;
    json.begin_object();
    json.field("status", status);
    json.field("instance", context.instance.instance_id);
    json.field("version", context.version);
    json.field("uptime_s", context.instance.uptime_s());
    json.key("checks");
    json.begin_object();
    json.field("store", store_ok ? "ok" : "failing");
    json.field("cache", ports::to_string(cache));
    json.field("bus", ports::to_string(bus));
    json.field("feed", context.feed_status ? context.feed_status() : std::string("disabled"));
    json.end_object();
    json.key("capacity");
    json.begin_object();
    json.field("ws_connections", context.instance.ws_connections.load());
    json.field("ws_limit", context.instance.ws_limit);
    json.field("http_in_flight", context.instance.http_in_flight.load());
    json.field("cpu_percent", cpu);
    json.field("memory_bytes", context.process.resident_bytes());
    json.field("utilization", utilization(context.instance, cpu));
    json.end_object();
    json.end_object();
    return json_response(draining || !store_ok ? 503 : 200, json.take());
}

// dbstat reads every page, so table sizes are refreshed at most once a minute.
class TableSizeCache {
  public:
    std::vector<ports::TableSize> get(ports::Store& store) {
        std::lock_guard lock(mutex_);
        const auto now = std::chrono::steady_clock::now();
        if (!fresh_ || now - taken_ > std::chrono::seconds(60)) {
            sizes_ = store.table_sizes();
            taken_ = now;
            fresh_ = true;
        }
        return sizes_;
    }

  private:
    std::mutex mutex_;
    std::vector<ports::TableSize> sizes_;
    std::chrono::steady_clock::time_point taken_;
    bool fresh_ = false;
};

}  // namespace

void add_ops_routes(Router& router, OpsContext context) {
    router.add(Method::kGet, "/health", Execution::kInline,
               [context](const HttpRequest&, const PathParams&) { return health(context); });
    router.add(Method::kGet, "/metrics", Execution::kBlocking,
               [context](const HttpRequest&, const PathParams&) {
                   HttpResponse response;
                   response.content_type = "text/plain; version=0.0.4; charset=utf-8";
                   response.body = context.metrics.render();
                   return response;
               });
}

void add_process_collectors(OpsContext context) {
    auto table_sizes = std::make_shared<TableSizeCache>();
    context.metrics.add_collector([context, table_sizes](ops::PromWriter& out) {
        using ops::PromWriter;
        const auto& instance = context.instance;
        out.family("http_requests_in_flight", "gauge", "HTTP requests being handled now.");
        out.sample("http_requests_in_flight", "",
                   static_cast<double>(instance.http_in_flight.load()));
        out.family("http_connections_active", "gauge", "Open HTTP connections.");
        out.sample("http_connections_active", "",
                   static_cast<double>(instance.http_connections.load()));
        out.family("websocket_connections_active", "gauge", "Open WebSocket connections.");
        out.sample("websocket_connections_active", "",
                   static_cast<double>(instance.ws_connections.load()));
        out.family("memory_usage_bytes", "gauge", "Resident memory of this process.");
        out.sample("memory_usage_bytes", "", static_cast<double>(context.process.resident_bytes()));
        out.family("cpu_usage_percent", "gauge", "CPU used by this process, percent of all cores.");
        out.sample("cpu_usage_percent", "", context.process.cpu_percent());
        out.family("instance_draining", "gauge", "1 while the instance drains before stopping.");
        out.sample("instance_draining", "", instance.draining.load() ? 1.0 : 0.0);
        out.family("database_size_bytes", "gauge", "Bytes used by each table and its indexes.");
        for (const auto& table : table_sizes->get(context.store)) {
            out.sample("database_size_bytes", PromWriter::label("collection", table.table),
                       static_cast<double>(table.bytes));
        }
        out.family("database_connections_active", "gauge", "Store connections in use now.");
        out.sample("database_connections_active", "",
                   static_cast<double>(context.store.connections_active()));
    });
}

}  // namespace botcore::api
