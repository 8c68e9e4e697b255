#include "app/capacity_settings.hpp"

namespace botcore {

ops::InstanceLimits instance_limits(const Config& config, const ops::ProcessStats& process,
                                    const ports::StoreEngine& store) {
    constexpr std::int64_t kMiB = 1024 * 1024;
    ops::InstanceLimits limits;
    limits.ws_connections = config.server.max_connections;
    limits.http_per_s = config.capacity.http_requests_per_second;
    limits.cores = process.cores();
    limits.memory_bytes = config.capacity.memory_limit_mb > 0
                              ? config.capacity.memory_limit_mb * kMiB
                              : ops::ProcessStats::memory_limit_bytes();
    limits.baseline_memory_bytes = config.capacity.baseline_memory_mb * kMiB;
    // PostgreSQL: the pool's maximum; SQLite: its writer and readers, all open from the start.
    limits.db_connections = config.store.engine == "postgres" ? config.postgres.pool_max
                                                              : store.stats().connections_open;
    return limits;
}

ops::UserCost user_cost(const CapacityConfig& capacity) {
    ops::UserCost cost;
    cost.memory_bytes = capacity.memory_per_user_kb * 1024LL;
    cost.cpu_us_per_s = capacity.cpu_us_per_user;
    cost.http_per_s = capacity.requests_per_user_hour / 3600.0;
    cost.db_queries_per_s = capacity.db_queries_per_user_minute / 60.0;
    return cost;
}

ops::ScalingPolicy scaling_policy(const ScalingConfig& scaling) {
    ops::ScalingPolicy policy;
    policy.min_instances = scaling.min_instances;
    policy.max_instances = scaling.max_instances;
    policy.up_cpu_percent = scaling.target_cpu_percent;
    policy.up_memory_percent = scaling.target_memory_percent;
    policy.up_cooldown_ms = scaling.scale_up_cooldown_seconds * 1000LL;
    policy.down_cooldown_ms = scaling.scale_down_cooldown_seconds * 1000LL;
    return policy;
}

ops::Costs costs(const CapacityConfig& capacity) {
    return {capacity.instance_month_usd, capacity.database_month_usd, capacity.balancer_month_usd,
            capacity.target_usd_per_1000_users};
}

}  // namespace botcore
