// The capacity model: how far an instance is from its limits, how many users it can serve
// (the capacity formula: the fewest users any one resource allows), what the scaling policy
// recommends, and what N users will need. Pure: usage and time come in as values.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "domain/decimal.hpp"

namespace botcore::ops {

// What one user costs, on average over the platform's mix of users (a fifth trading, the rest
// watching prices).
struct UserCost {
    std::int64_t memory_bytes = 16 * 1024;
    std::int64_t cpu_us_per_s = 110;  // CPU time per second, in microseconds of one core
    double http_per_s = 0.01;         // requests per second
    double db_queries_per_s = 0.13;   // store queries per second
};

// What one instance offers.
struct InstanceLimits {
    int ws_connections = 0;
    double http_per_s = 0;  // the request rate it is rated for
    double cores = 1;       // what its CPU quota allows, or the machine's cores
    std::int64_t memory_bytes = 0;
    std::int64_t baseline_memory_bytes = 0;  // used with no user at all
    int db_connections = 0;                  // its store pool's maximum
};

// The resources a user needs, in the order reports list them.
enum class Resource { kWsConnections, kHttpRate, kCpu, kMemory, kDbConnections };
inline constexpr std::array kResources{Resource::kWsConnections, Resource::kHttpRate,
                                       Resource::kCpu, Resource::kMemory, Resource::kDbConnections};
std::string_view to_string(Resource resource);

// An instance's use of each resource now.
struct Usage {
    int ws_connections = 0;
    double http_per_s = 0;
    double cpu_percent = 0;  // of the CPU the instance may use, 0-100
    std::int64_t memory_bytes = 0;
    int db_connections = 0;
};

struct ResourceUse {
    double used = 0;
    double limit = 0;
    double utilization() const { return limit > 0 ? used / limit : 0.0; }
};

struct CurrentCapacity {
    std::array<ResourceUse, kResources.size()> resources;
    Resource limiting = Resource::kCpu;  // the highest utilization
    // The capacity formula per resource: the users each one allows at its limit (none for the
    // database connections, which a pool shares among all users, and none for a resource whose
    // limit or per-user cost is not known or zero).
    std::array<std::optional<std::int64_t>, kResources.size()> max_users_by;
    std::int64_t max_users = 0;  // the fewest of max_users_by
};

CurrentCapacity current_capacity(const Usage& usage, const InstanceLimits& limits,
                                 const UserCost& cost);

struct ScalingPolicy {
    int min_instances = 2;
    int max_instances = 10;
    // Scale up above these for up_window_ms; down when all are below the lower ones for
    // down_window_ms. Percent of the resource's limit.
    int up_cpu_percent = 70;
    int up_memory_percent = 80;
    int up_connections_percent = 80;  // WebSocket connections and the HTTP rate
    int down_cpu_percent = 30;
    int down_memory_percent = 40;
    int down_connections_percent = 30;
    std::int64_t up_window_ms = 5 * 60'000;
    std::int64_t down_window_ms = 15 * 60'000;
    std::int64_t up_cooldown_ms = 5 * 60'000;
    std::int64_t down_cooldown_ms = 15 * 60'000;
};

// Utilization samples for the policy's "for N minutes": kept for the longest window and a
// minute more, so that a window is covered whenever it is asked for, not only at the instant a
// sample was taken.
class UtilizationHistory {
  public:
    explicit UtilizationHistory(std::int64_t window_ms) : keep_ms_(window_ms + 60'000) {}
    void add(std::int64_t now_ms, const CurrentCapacity& capacity);

    struct Averages {
        std::array<double, kResources.size()> utilization{};
        // How long samples have been taken (from the oldest kept to now): a window shorter
        // than this is covered.
        std::int64_t covered_ms = 0;
    };
    // The mean utilization of the samples taken in the last window_ms.
    Averages average(std::int64_t now_ms, std::int64_t window_ms) const;

  private:
    struct Sample {
        std::int64_t ts_ms;
        std::array<double, kResources.size()> utilization;
    };
    std::int64_t keep_ms_;
    std::deque<Sample> samples_;
};

enum class ScalingAction { kScaleUp, kScaleDown, kHold };
std::string_view to_string(ScalingAction action);

struct Recommendation {
    ScalingAction action = ScalingAction::kHold;
    std::string reason;
};

// What the policy says for this instance's recent use. since_change_ms: time since the
// cluster's instance count last changed (none: not since the start).
Recommendation recommend(const UtilizationHistory& history, std::int64_t now_ms, int instances,
                         std::optional<std::int64_t> since_change_ms, const ScalingPolicy& policy);

// Whole USD a month.
struct Costs {
    std::int64_t instance_month = 0;
    std::int64_t database_month = 0;  // the database tier
    std::int64_t balancer_month = 0;
    std::int64_t target_per_1000_users = 0;  // what the cost per 1,000 users should stay under
};

struct Forecast {
    std::int64_t users = 0;
    int horizon_days = 0;
    std::int64_t users_per_instance = 0;  // at the policy's scale-up thresholds
    Resource limiting = Resource::kCpu;   // what bounds users_per_instance
    // Needed, at least the policy's minimum; none when one instance cannot serve a single
    // user within the thresholds (the figures below are then for the minimum).
    std::optional<std::int64_t> instances;
    std::int64_t memory_bytes = 0;    // all instances together
    std::int64_t db_connections = 0;  // all instances' pools at their maximum
    double db_queries_per_s = 0;
    std::int64_t monthly_cost_usd = 0;
    domain::Decimal cost_per_1000_users;  // USD
    Recommendation recommendation;
};

// What `users` users will need, and what to do about it within horizon_days with the
// instances running now.
Forecast forecast(std::int64_t users, int horizon_days, int instances_now,
                  const InstanceLimits& limits, const UserCost& cost, const ScalingPolicy& policy,
                  const Costs& costs);

}  // namespace botcore::ops
