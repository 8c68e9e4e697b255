#include "ops/capacity_monitor.hpp"

#include <algorithm>

namespace botcore::ops {

CapacityMonitor::CapacityMonitor(InstanceLimits limits, UserCost cost, ScalingPolicy policy,
                                 Costs costs, Sources sources)
    : limits_(limits),
      cost_(cost),
      policy_(policy),
      costs_(std::move(costs)),
      sources_(std::move(sources)),
      history_(std::max(policy.up_window_ms, policy.down_window_ms)),
      last_requests_(sources_.requests_total()) {}

void CapacityMonitor::sample() {
    const auto now = sources_.now_ms();
    const auto requests = sources_.requests_total();
    auto usage = sources_.usage();
    std::lock_guard lock(mutex_);
    if (last_sample_ms_ && now > *last_sample_ms_) {
        http_per_s_ = static_cast<double>(requests - last_requests_) * 1000.0 /
                      static_cast<double>(now - *last_sample_ms_);
    }
    last_sample_ms_ = now;
    last_requests_ = requests;
    usage.http_per_s = http_per_s_;
    history_.add(now, current_capacity(usage, limits_, cost_));
    observe_instances(now);
}

void CapacityMonitor::observe_instances(std::int64_t now_ms) {
    const auto changes = sources_.changes();
    const MembershipChanges since_last{changes.joined - changes_.joined,
                                       changes.left - changes_.left};
    changes_ = changes;
    if (const int seen = sources_.instances(); seen > 0) {
        instances_ = seen;
    }
    if (since_last.joined + since_last.left > 0) {
        changed_ms_ = now_ms;
        if (sources_.on_change) {
            sources_.on_change(since_last, instances_now());
        }
    }
}

MembershipChanges CapacityMonitor::membership_changes() {
    std::lock_guard lock(mutex_);
    return changes_;
}

int CapacityMonitor::instances_now() const {
    return std::max(instances_, 1);
}

CapacityMonitor::Report CapacityMonitor::current() {
    Report report;
    report.ts_ms = sources_.now_ms();
    report.usage = sources_.usage();
    std::lock_guard lock(mutex_);
    report.usage.http_per_s = http_per_s_;
    report.capacity = current_capacity(report.usage, limits_, cost_);
    report.users_served = report.usage.ws_connections;
    report.instances = instances_now();
    const auto since = changed_ms_ ? std::optional(report.ts_ms - *changed_ms_) : std::nullopt;
    report.recommendation = recommend(history_, report.ts_ms, report.instances, since, policy_);
    return report;
}

Forecast CapacityMonitor::forecast(std::int64_t users, int horizon_days) {
    int instances = 1;
    {
        std::lock_guard lock(mutex_);
        instances = instances_now();
    }
    return ops::forecast(users, horizon_days, instances, limits_, cost_, policy_, costs_);
}

}  // namespace botcore::ops
