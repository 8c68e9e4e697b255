// The capacity model fed with this instance's live figures: samples its use every few seconds
// for the scaling policy's windows, counts the cluster's instances coming and going, and
// answers GET /api/capacity/current and /forecast. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

#include "ops/capacity.hpp"

namespace botcore::ops {

struct MembershipChanges {
    std::uint64_t joined = 0;
    std::uint64_t left = 0;
};

class CapacityMonitor {
  public:
    struct Sources {
        std::function<Usage()> usage;  // all but the HTTP rate, which comes from:
        std::function<std::uint64_t()> requests_total;
        std::function<int()> instances;  // alive in the cluster (0: not known yet)
        // Instances seen joining and leaving the cluster since the start (totals).
        std::function<MembershipChanges()> changes;
        std::function<std::int64_t()> now_ms;
        // Instances joined or left since the last sample (logged as a scaling event).
        std::function<void(const MembershipChanges& since_last, int instances)> on_change;
    };
    CapacityMonitor(InstanceLimits limits, UserCost cost, ScalingPolicy policy, Costs costs,
                    Sources sources);

    // Takes one sample (call every few seconds).
    void sample();

    struct Report {
        std::int64_t ts_ms = 0;
        Usage usage;
        CurrentCapacity capacity;
        int users_served = 0;  // connected WebSocket clients: one per user in the model
        int instances = 1;
        Recommendation recommendation;
    };
    Report current();
    Forecast forecast(std::int64_t users, int horizon_days);

    // Instances the cluster gained and lost, as of the last sample.
    MembershipChanges membership_changes();
    const InstanceLimits& limits() const { return limits_; }

  private:
    // Called with mutex_ held.
    void observe_instances(std::int64_t now_ms);
    int instances_now() const;

    const InstanceLimits limits_;
    const UserCost cost_;
    const ScalingPolicy policy_;
    const Costs costs_;
    const Sources sources_;
    std::mutex mutex_;
    UtilizationHistory history_;
    std::optional<std::int64_t> last_sample_ms_;
    std::uint64_t last_requests_ = 0;
    double http_per_s_ = 0;
    int instances_ = 0;
    MembershipChanges changes_;
    std::optional<std::int64_t> changed_ms_;
};

}  // namespace botcore::ops
