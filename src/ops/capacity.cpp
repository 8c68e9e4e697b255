#include "ops/capacity.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "domain/decimal_math.hpp"

namespace botcore::ops {

namespace {

constexpr std::size_t index(Resource resource) {
    return static_cast<std::size_t>(resource);
}

// Users a budget allows at per_user each; none when either is unknown or zero (no bound).
std::optional<std::int64_t> users_within(double budget, double per_user) {
    if (!(per_user > 0) || !(budget > 0)) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(std::min(std::floor(budget / per_user), 1e15));
}

// Users each resource allows when used up to `fraction` of its limit (WebSocket connections,
// HTTP rate, CPU, memory; the database connections, shared by all users, allow any number).
std::array<std::optional<std::int64_t>, kResources.size()> users_by_resource(
    const InstanceLimits& limits, const UserCost& cost, const std::array<double, 4>& fraction) {
    std::array<std::optional<std::int64_t>, kResources.size()> out;
    out[index(Resource::kWsConnections)] =
        users_within(std::floor(limits.ws_connections * fraction[0]), 1.0);
    out[index(Resource::kHttpRate)] =
        users_within(limits.http_per_s * fraction[1], cost.http_per_s);
    out[index(Resource::kCpu)] =
        users_within(limits.cores * 1e6 * fraction[2], static_cast<double>(cost.cpu_us_per_s));
    if (limits.memory_bytes > 0) {
        // A baseline beyond the budget leaves no room for a single user.
        out[index(Resource::kMemory)] = std::max<std::int64_t>(
            0, users_within(static_cast<double>(limits.memory_bytes) * fraction[3] -
                                static_cast<double>(limits.baseline_memory_bytes),
                            static_cast<double>(cost.memory_bytes))
                   .value_or(0));
    }
    return out;
}

std::int64_t saturated(__int128 value) {
    return static_cast<std::int64_t>(
        std::clamp<__int128>(value, 0, std::numeric_limits<std::int64_t>::max()));
}

// The resource allowing the fewest users, and that number.
std::pair<Resource, std::int64_t> fewest(
    const std::array<std::optional<std::int64_t>, kResources.size()>& users) {
    std::pair<Resource, std::int64_t> best{Resource::kCpu, -1};
    for (const auto resource : kResources) {
        const auto& n = users[index(resource)];
        if (n && (best.second < 0 || *n < best.second)) {
            best = {resource, *n};
        }
    }
    best.second = std::max<std::int64_t>(best.second, 0);
    return best;
}

// A resource's threshold, as a fraction, among the policy's percentages. A full store pool
// never calls for more instances: requests wait for its connections, and more instances
// would open more of them.
double threshold(Resource resource, int cpu, int memory, int connections) {
    switch (resource) {
        case Resource::kCpu:
            return cpu / 100.0;
        case Resource::kMemory:
            return memory / 100.0;
        case Resource::kDbConnections:
            return 2.0;
        default:
            return connections / 100.0;
    }
}

std::string percent(double utilization) {
    return fmt::format("{:.0f}%", utilization * 100);
}

}  // namespace

std::string_view to_string(Resource resource) {
    switch (resource) {
        case Resource::kWsConnections:
            return "ws_connections";
        case Resource::kHttpRate:
            return "http_rate";
        case Resource::kCpu:
            return "cpu";
        case Resource::kMemory:
            return "memory";
        case Resource::kDbConnections:
            return "db_connections";
    }
    return "cpu";
}

std::string_view to_string(ScalingAction action) {
    switch (action) {
        case ScalingAction::kScaleUp:
            return "scale_up";
        case ScalingAction::kScaleDown:
            return "scale_down";
        case ScalingAction::kHold:
            return "hold";
    }
    return "hold";
}

CurrentCapacity current_capacity(const Usage& usage, const InstanceLimits& limits,
                                 const UserCost& cost) {
    CurrentCapacity out;
    out.resources[index(Resource::kWsConnections)] = {static_cast<double>(usage.ws_connections),
                                                      static_cast<double>(limits.ws_connections)};
    out.resources[index(Resource::kHttpRate)] = {usage.http_per_s, limits.http_per_s};
    out.resources[index(Resource::kCpu)] = {usage.cpu_percent, 100.0};
    out.resources[index(Resource::kMemory)] = {static_cast<double>(usage.memory_bytes),
                                               static_cast<double>(limits.memory_bytes)};
    out.resources[index(Resource::kDbConnections)] = {static_cast<double>(usage.db_connections),
                                                      static_cast<double>(limits.db_connections)};
    out.max_users_by = users_by_resource(limits, cost, {1.0, 1.0, 1.0, 1.0});
    const auto [binding, users] = fewest(out.max_users_by);
    out.max_users = users;
    // What is nearest its limit now; with nothing in use, what the formula says runs out first.
    out.limiting = binding;
    double highest = 0;
    for (const auto resource : kResources) {
        if (const auto u = out.resources[index(resource)].utilization(); u > highest) {
            highest = u;
            out.limiting = resource;
        }
    }
    return out;
}

void UtilizationHistory::add(std::int64_t now_ms, const CurrentCapacity& capacity) {
    Sample sample{now_ms, {}};
    for (const auto resource : kResources) {
        sample.utilization[index(resource)] = capacity.resources[index(resource)].utilization();
    }
    samples_.push_back(sample);
    while (!samples_.empty() && samples_.front().ts_ms < now_ms - keep_ms_) {
        samples_.pop_front();
    }
}

UtilizationHistory::Averages UtilizationHistory::average(std::int64_t now_ms,
                                                         std::int64_t window_ms) const {
    Averages out;
    if (!samples_.empty()) {
        out.covered_ms = now_ms - samples_.front().ts_ms;
    }
    std::size_t count = 0;
    for (const auto& sample : samples_) {
        if (sample.ts_ms < now_ms - window_ms) {
            continue;
        }
        ++count;
        for (std::size_t i = 0; i < kResources.size(); ++i) {
            out.utilization[i] += sample.utilization[i];
        }
    }
    for (auto& u : out.utilization) {
        u = count > 0 ? u / static_cast<double>(count) : 0.0;
    }
    return out;
}

Recommendation recommend(const UtilizationHistory& history, std::int64_t now_ms, int instances,
                         std::optional<std::int64_t> since_change_ms, const ScalingPolicy& policy) {
    const auto up = history.average(now_ms, policy.up_window_ms);
    if (up.covered_ms < policy.up_window_ms) {
        return {ScalingAction::kHold,
                fmt::format("observed {} s of the {} s the policy needs", up.covered_ms / 1000,
                            policy.up_window_ms / 1000)};
    }
    const auto up_limit = [&policy](Resource resource) {
        return threshold(resource, policy.up_cpu_percent, policy.up_memory_percent,
                         policy.up_connections_percent);
    };
    const auto down_limit = [&policy](Resource resource) {
        return threshold(resource, policy.down_cpu_percent, policy.down_memory_percent,
                         policy.down_connections_percent);
    };
    std::string over;
    for (const auto resource : kResources) {
        const auto u = up.utilization[index(resource)];
        if (u > up_limit(resource)) {
            over += fmt::format("{}{} {} above {}", over.empty() ? "" : ", ", to_string(resource),
                                percent(u), percent(up_limit(resource)));
        }
    }
    const auto since = since_change_ms.value_or(std::numeric_limits<std::int64_t>::max());
    if (!over.empty()) {
        over += fmt::format(" for {} min", policy.up_window_ms / 60'000);
        if (instances >= policy.max_instances) {
            return {ScalingAction::kHold, over + fmt::format(", but the cluster is at "
                                                             "scaling.max_instances ({})",
                                                             policy.max_instances)};
        }
        if (since < policy.up_cooldown_ms) {
            return {ScalingAction::kHold,
                    over + fmt::format(", but the instances changed {} s ago (cooldown {} s)",
                                       since / 1000, policy.up_cooldown_ms / 1000)};
        }
        return {ScalingAction::kScaleUp, over + ": add 1 instance"};
    }
    const auto down = history.average(now_ms, policy.down_window_ms);
    bool all_low = down.covered_ms >= policy.down_window_ms;
    for (const auto resource : kResources) {
        all_low = all_low && down.utilization[index(resource)] < down_limit(resource);
    }
    if (all_low && instances > policy.min_instances) {
        const auto why = fmt::format(
            "cpu {}, memory {}, connections {} below {}, {}, {} for {} min",
            percent(down.utilization[index(Resource::kCpu)]),
            percent(down.utilization[index(Resource::kMemory)]),
            percent(std::max(down.utilization[index(Resource::kWsConnections)],
                             down.utilization[index(Resource::kHttpRate)])),
            percent(down_limit(Resource::kCpu)), percent(down_limit(Resource::kMemory)),
            percent(down_limit(Resource::kWsConnections)), policy.down_window_ms / 60'000);
        if (since < policy.down_cooldown_ms) {
            return {ScalingAction::kHold,
                    why + fmt::format(", but the instances changed {} s ago (cooldown {} s)",
                                      since / 1000, policy.down_cooldown_ms / 1000)};
        }
        return {ScalingAction::kScaleDown, why + ": remove 1 instance"};
    }
    if (instances < policy.min_instances) {
        return {ScalingAction::kScaleUp,
                fmt::format("{} instance(s) running, fewer than scaling.min_instances ({})",
                            instances, policy.min_instances)};
    }
    return {ScalingAction::kHold, "every resource within the policy's thresholds"};
}

Forecast forecast(std::int64_t users, int horizon_days, int instances_now,
                  const InstanceLimits& limits, const UserCost& cost, const ScalingPolicy& policy,
                  const Costs& costs) {
    Forecast out;
    out.users = users;
    out.horizon_days = horizon_days;
    const auto connections = policy.up_connections_percent / 100.0;
    const auto [binding, per_instance] =
        fewest(users_by_resource(limits, cost,
                                 {connections, connections, policy.up_cpu_percent / 100.0,
                                  policy.up_memory_percent / 100.0}));
    out.limiting = binding;
    out.users_per_instance = per_instance;
    const auto instances = per_instance > 0
                               ? std::max<std::int64_t>((users + per_instance - 1) / per_instance,
                                                        policy.min_instances)
                               : std::int64_t{policy.min_instances};
    if (per_instance > 0) {
        out.instances = instances;
    }
    out.memory_bytes = saturated(__int128{instances} * limits.baseline_memory_bytes +
                                 __int128{users} * cost.memory_bytes);
    out.db_connections = saturated(__int128{instances} * limits.db_connections);
    out.db_queries_per_s = static_cast<double>(users) * cost.db_queries_per_s;
    const __int128 monthly =
        __int128{instances} * costs.instance_month + costs.database_month + costs.balancer_month;
    out.monthly_cost_usd = saturated(monthly);
    if (users > 0) {
        out.cost_per_1000_users =
            domain::Decimal::from_units(saturated(monthly * 1000 * domain::Decimal::kOne / users));
    }

    auto& r = out.recommendation;
    if (!out.instances) {
        r = {ScalingAction::kHold,
             fmt::format("an instance cannot serve a single user within the policy's "
                         "thresholds: {} leaves no room (check the [capacity] settings)",
                         to_string(out.limiting))};
        return out;
    }
    const auto basis = fmt::format(
        "{} users need {} instance(s) ({} users each, bound by {} at the policy's "
        "scale-up threshold)",
        users, instances, out.users_per_instance, to_string(out.limiting));
    if (instances > policy.max_instances) {
        r = {ScalingAction::kScaleUp,
             basis + fmt::format(": more than scaling.max_instances ({}); raise it within {} days",
                                 policy.max_instances, horizon_days)};
    } else if (instances > instances_now) {
        r = {ScalingAction::kScaleUp, basis + fmt::format(": add {} within {} days",
                                                          instances - instances_now, horizon_days)};
    } else if (instances < instances_now) {
        r = {ScalingAction::kScaleDown,
             basis + fmt::format(": {} fewer than run now", instances_now - instances)};
    } else {
        r = {ScalingAction::kHold, basis + ": as many as run now"};
    }
    if (users > 0 &&
        out.cost_per_1000_users > domain::Decimal::from_integer(costs.target_per_1000_users)) {
        r.reason += fmt::format("; {} USD per 1,000 users a month is above the target of {}",
                                out.cost_per_1000_users.to_string(), costs.target_per_1000_users);
    }
    return out;
}

}  // namespace botcore::ops
