#include "api/capacity_routes.hpp"

#include <charconv>
#include <expected>

#include "api/api_error.hpp"
#include "api/json.hpp"

namespace botcore::api {

namespace {

constexpr std::int64_t kMaxUsers = 1'000'000'000;
constexpr int kMaxHorizonDays = 3650;

// A whole number from min to max in the query, or def when absent.
std::expected<std::int64_t, ApiError> count_param(const HttpRequest& request, std::string_view name,
                                                  std::optional<std::int64_t> def, std::int64_t min,
                                                  std::int64_t max) {
    const auto text = request.query_param(name);
    const auto invalid = [&] {
        return ApiError::validation(std::string(name),
                                    std::string(name) + " must be an integer from " +
                                        std::to_string(min) + " to " + std::to_string(max));
    };
    if (!text) {
        if (def) {
            return *def;
        }
        return std::unexpected(invalid());
    }
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size() || value < min || value > max) {
        return std::unexpected(invalid());
    }
    return value;
}

void write_recommendation(JsonWriter& json, const ops::Recommendation& r) {
    json.key("recommendation");
    json.begin_object();
    json.field("action", ops::to_string(r.action));
    json.field("reason", r.reason);
    json.end_object();
}

HttpResponse current(ops::CapacityMonitor& monitor, const std::string& instance_id) {
    const auto report = monitor.current();
    JsonWriter json;
    json.begin_object();
    json.field("instance", instance_id);
    json.field("ts_ms", report.ts_ms);
    json.key("resources");
    json.begin_object();
    for (const auto resource : ops::kResources) {
        const auto& use = report.capacity.resources[static_cast<std::size_t>(resource)];
        json.key(ops::to_string(resource));
        json.begin_object();
        json.field("used", use.used);
        json.field("limit", use.limit);
        json.field("utilization", use.utilization());
        json.end_object();
    }
    json.end_object();
    json.field("limiting_resource", ops::to_string(report.capacity.limiting));
    json.field("users_served", report.users_served);
    json.field("max_users", report.capacity.max_users);
    json.key("max_users_by");
    json.begin_object();
    for (const auto resource : ops::kResources) {
        if (const auto& n = report.capacity.max_users_by[static_cast<std::size_t>(resource)]) {
            json.field(ops::to_string(resource), *n);
        }
    }
    json.end_object();
    json.field("instances", report.instances);
    write_recommendation(json, report.recommendation);
    json.end_object();
    return json_response(200, json.take());
}

HttpResponse forecast(ops::CapacityMonitor& monitor, const HttpRequest& request) {
    const auto users = count_param(request, "users", std::nullopt, 1, kMaxUsers);
    if (!users) {
        return error_response(users.error());
    }
    const auto horizon = count_param(request, "horizon_days", 30, 1, kMaxHorizonDays);
    if (!horizon) {
        return error_response(horizon.error());
    }
    const auto f = monitor.forecast(*users, static_cast<int>(*horizon));
    JsonWriter json;
    json.begin_object();
    json.field("users", f.users);
    json.field("horizon_days", f.horizon_days);
    json.key("instances");
    if (f.instances) {
        json.value(*f.instances);
    } else {
        json.null();
    }
    json.field("users_per_instance", f.users_per_instance);
    json.field("limiting_resource", ops::to_string(f.limiting));
    json.field("memory_bytes", f.memory_bytes);
    json.field("db_connections", f.db_connections);
    json.field("db_queries_per_s", f.db_queries_per_s);
    json.field("monthly_cost_usd", std::to_string(f.monthly_cost_usd));
    json.field("cost_per_1000_users_usd", f.cost_per_1000_users.to_string());
    write_recommendation(json, f.recommendation);
    json.end_object();
    return json_response(200, json.take());
}

}  // namespace

void add_capacity_routes(Router& router, ops::CapacityMonitor& monitor, std::string instance_id) {
    router.add(Method::kGet, "/api/capacity/current", Execution::kInline,
               [&monitor, instance_id](const HttpRequest&, const PathParams&) {
                   return current(monitor, instance_id);
               });
    router.add(Method::kGet, "/api/capacity/forecast", Execution::kInline,
               [&monitor](const HttpRequest& request, const PathParams&) {
                   return forecast(monitor, request);
               });
}

}  // namespace botcore::api
