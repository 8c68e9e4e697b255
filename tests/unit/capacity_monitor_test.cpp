#include "ops/capacity_monitor.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace botcore::ops {
namespace {

// The figures a test sets, read by the monitor through its sources.
struct Figures {
    Usage usage;
    std::uint64_t requests = 0;
    int instances = 2;
    MembershipChanges changes;
    std::int64_t now_ms = 1'000'000;
    std::vector<std::pair<MembershipChanges, int>> events;
};

CapacityMonitor monitor_of(Figures& f) {
    InstanceLimits limits;
    limits.ws_connections = 1000;
    limits.http_per_s = 100;
    limits.cores = 1;
    limits.memory_bytes = 1 << 30;
    limits.db_connections = 10;
    return CapacityMonitor(
        limits, UserCost{}, ScalingPolicy{}, Costs{},
        {[&f] { return f.usage; }, [&f] { return f.requests; }, [&f] { return f.instances; },
         [&f] { return f.changes; }, [&f] { return f.now_ms; },
         [&f](const MembershipChanges& c, int n) { f.events.emplace_back(c, n); }});
}

TEST(CapacityMonitor, TheHttpRateIsTheRequestsBetweenTwoSamples) {
    Figures f;
    f.requests = 500;
    auto monitor = monitor_of(f);
    monitor.sample();
    f.requests += 250;
    f.now_ms += 5000;
    monitor.sample();
    const auto report = monitor.current();
    EXPECT_DOUBLE_EQ(report.usage.http_per_s, 50);
    EXPECT_DOUBLE_EQ(
        report.capacity.resources[static_cast<std::size_t>(Resource::kHttpRate)].utilization(),
        0.5);
}

TEST(CapacityMonitor, CountsInstancesJoiningAndLeavingAndHoldsWithinTheCooldown) {
    Figures f;
    f.usage.cpu_percent = 95;
    auto monitor = monitor_of(f);
    for (int i = 0; i <= 60; ++i) {  // five minutes at 95% CPU
        monitor.sample();
        f.now_ms += 5000;
    }
    EXPECT_EQ(monitor.current().recommendation.action, ScalingAction::kScaleUp);
    f.changes = {1, 1};  // one instance restarted
    monitor.sample();
    ASSERT_EQ(f.events.size(), 1u);
    EXPECT_EQ(f.events[0].first.joined, 1u);
    EXPECT_EQ(f.events[0].first.left, 1u);
    EXPECT_EQ(f.events[0].second, 2);
    EXPECT_EQ(monitor.membership_changes().joined, 1u);
    const auto held = monitor.current().recommendation;
    EXPECT_EQ(held.action, ScalingAction::kHold);
    EXPECT_NE(held.reason.find("cooldown"), std::string::npos) << held.reason;
    monitor.sample();  // nothing new: no second event
    EXPECT_EQ(f.events.size(), 1u);
}

}  // namespace
}  // namespace botcore::ops
