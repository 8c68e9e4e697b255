#include "ops/capacity.hpp"

#include <gtest/gtest.h>

namespace botcore::ops {
namespace {

using domain::Decimal;

constexpr std::int64_t kMiB = 1024 * 1024;
constexpr std::int64_t kMinute = 60'000;

InstanceLimits two_cores() {
    InstanceLimits limits;
    limits.ws_connections = 15'000;
    limits.http_per_s = 20'000;
    limits.cores = 2;
    limits.memory_bytes = 1024 * kMiB;
    limits.baseline_memory_bytes = 64 * kMiB;
    limits.db_connections = 100;
    return limits;
}

// 100 µs of CPU and 16 KiB per user, one request every 100 s.
UserCost user_cost() {
    return {16 * 1024, 100, 0.01, 0.1};
}

TEST(Capacity, MaxUsersIsTheFewestAnyResourceAllows) {
    const auto capacity = current_capacity({}, two_cores(), user_cost());
    const auto by = [&](Resource r) { return capacity.max_users_by[static_cast<std::size_t>(r)]; };
    EXPECT_EQ(by(Resource::kWsConnections), 15'000);
    EXPECT_EQ(by(Resource::kHttpRate), 2'000'000);  // 20,000 req/s at 0.01 per user
    EXPECT_EQ(by(Resource::kCpu), 20'000);          // 2 s of CPU per second at 100 µs each
    EXPECT_EQ(by(Resource::kMemory), 61'440);       // (1,024 - 64) MiB at 16 KiB
    EXPECT_FALSE(by(Resource::kDbConnections).has_value());
    EXPECT_EQ(capacity.max_users, 15'000);
    // Nothing in use: the limiting resource is the one the formula runs out of first.
    EXPECT_EQ(capacity.limiting, Resource::kWsConnections);
}

TEST(Capacity, UtilizationIsUseOverLimitAndTheHighestIsLimiting) {
    Usage usage;
    usage.ws_connections = 3'000;
    usage.http_per_s = 1'000;
    usage.cpu_percent = 45;
    usage.memory_bytes = 256 * kMiB;
    usage.db_connections = 10;
    const auto capacity = current_capacity(usage, two_cores(), user_cost());
    const auto u = [&](Resource r) {
        return capacity.resources[static_cast<std::size_t>(r)].utilization();
    };
    EXPECT_DOUBLE_EQ(u(Resource::kWsConnections), 0.2);
    EXPECT_DOUBLE_EQ(u(Resource::kHttpRate), 0.05);
    EXPECT_DOUBLE_EQ(u(Resource::kCpu), 0.45);
    EXPECT_DOUBLE_EQ(u(Resource::kMemory), 0.25);
    EXPECT_DOUBLE_EQ(u(Resource::kDbConnections), 0.1);
    EXPECT_EQ(capacity.limiting, Resource::kCpu);
}

Costs costs() {
    return {50, 600, 20, 10};
}

CurrentCapacity at_cpu(double cpu_percent, int ws = 5'000) {
    Usage usage;
    usage.cpu_percent = cpu_percent;
    usage.ws_connections = ws;
    usage.memory_bytes = 300 * kMiB;  // 29%
    return current_capacity(usage, two_cores(), user_cost());
}

// Samples every 10 s from `from` to `to` (inclusive) at the given CPU.
void fill(UtilizationHistory& history, std::int64_t from, std::int64_t to, double cpu,
          int ws = 5'000) {
    for (auto t = from; t <= to; t += 10'000) {
        history.add(t, at_cpu(cpu, ws));
    }
}

TEST(Capacity, ScaleUpNeedsTheLoadForTheWholeWindowAndNoRecentChange) {
    const ScalingPolicy policy;
    UtilizationHistory history(policy.down_window_ms);
    fill(history, 0, 4 * kMinute, 90);
    auto r = recommend(history, 4 * kMinute, 3, std::nullopt, policy);
    EXPECT_EQ(r.action, ScalingAction::kHold) << r.reason;  // 4 of the 5 minutes seen
    fill(history, 4 * kMinute + 10'000, 5 * kMinute, 90);
    r = recommend(history, 5 * kMinute, 3, std::nullopt, policy);
    EXPECT_EQ(r.action, ScalingAction::kScaleUp) << r.reason;
    EXPECT_NE(r.reason.find("cpu 90% above 70%"), std::string::npos) << r.reason;
    // Within the cooldown of the last change, or at the maximum: hold, and say why.
    r = recommend(history, 5 * kMinute, 3, 60'000, policy);
    EXPECT_EQ(r.action, ScalingAction::kHold);
    EXPECT_NE(r.reason.find("cooldown"), std::string::npos) << r.reason;
    r = recommend(history, 5 * kMinute, policy.max_instances, std::nullopt, policy);
    EXPECT_EQ(r.action, ScalingAction::kHold);
    EXPECT_NE(r.reason.find("max_instances"), std::string::npos) << r.reason;
}

TEST(Capacity, AShortPeakDoesNotScaleUp) {
    const ScalingPolicy policy;
    UtilizationHistory history(policy.down_window_ms);
    fill(history, 0, 4 * kMinute, 40);
    fill(history, 4 * kMinute + 10'000, 5 * kMinute, 100);  // one minute at full load
    const auto r = recommend(history, 5 * kMinute, 3, std::nullopt, policy);
    EXPECT_EQ(r.action, ScalingAction::kHold) << r.reason;  // mean 52% over five minutes
}

TEST(Capacity, ScaleDownNeedsEverythingLowForTheLongerWindowAndMoreThanTheMinimum) {
    const ScalingPolicy policy;
    UtilizationHistory history(policy.down_window_ms);
    fill(history, 0, 15 * kMinute, 10, 1'000);
    auto r = recommend(history, 15 * kMinute, 3, std::nullopt, policy);
    EXPECT_EQ(r.action, ScalingAction::kScaleDown) << r.reason;
    r = recommend(history, 15 * kMinute, policy.min_instances, std::nullopt, policy);
    EXPECT_EQ(r.action, ScalingAction::kHold) << r.reason;
    r = recommend(history, 15 * kMinute, 3, 10 * kMinute, policy);  // changed 10 min ago
    EXPECT_EQ(r.action, ScalingAction::kHold) << r.reason;
    // Connections at 40% of the limit keep every instance.
    UtilizationHistory busy(policy.down_window_ms);
    fill(busy, 0, 15 * kMinute, 10, 6'000);
    EXPECT_EQ(recommend(busy, 15 * kMinute, 3, std::nullopt, policy).action, ScalingAction::kHold);
}

TEST(Capacity, OldSamplesLeaveTheHistory) {
    UtilizationHistory history(kMinute);  // kept: the window and a minute more
    history.add(0, at_cpu(100));
    history.add(3 * kMinute, at_cpu(20));
    const auto averages = history.average(3 * kMinute, 10 * kMinute);
    EXPECT_DOUBLE_EQ(averages.utilization[static_cast<std::size_t>(Resource::kCpu)], 0.2);
    EXPECT_EQ(averages.covered_ms, 0);
}

TEST(Capacity, AWindowIsCoveredBetweenSamplesTakenAtAnyTimes) {
    const ScalingPolicy policy;
    UtilizationHistory history(policy.down_window_ms);
    // Samples about every 5 s, never on a round time; asked between two of them.
    std::int64_t t = 1'234;
    for (; t < 20 * kMinute; t += 5'000 + (t % 7) * 13) {
        history.add(t, at_cpu(90));
    }
    const auto asked = t - 2'500;
    EXPECT_GE(history.average(asked, policy.up_window_ms).covered_ms, policy.up_window_ms);
    EXPECT_EQ(recommend(history, asked, 3, std::nullopt, policy).action, ScalingAction::kScaleUp);
}

TEST(Capacity, AResourceWithoutALimitOrACostBoundsNothing) {
    auto limits = two_cores();
    limits.memory_bytes = 0;  // not known
    auto cost = user_cost();
    cost.http_per_s = 0;
    const auto capacity = current_capacity({}, limits, cost);
    EXPECT_FALSE(capacity.max_users_by[static_cast<std::size_t>(Resource::kMemory)]);
    EXPECT_FALSE(capacity.max_users_by[static_cast<std::size_t>(Resource::kHttpRate)]);
    EXPECT_EQ(capacity.max_users, 15'000);
    const auto f = forecast(1'000'000'000, 30, 2, limits, cost, ScalingPolicy{}, costs());
    EXPECT_EQ(f.instances, 83'334);  // 12,000 users each
    EXPECT_EQ(f.db_connections, 8'333'400);
}

TEST(Capacity, AForecastSaysSoWhenAnInstanceHasNoRoomForAUser) {
    auto limits = two_cores();
    limits.baseline_memory_bytes = 1000 * kMiB;  // above 80% of the 1 GiB limit
    const auto f = forecast(1'000'000'000, 30, 2, limits, user_cost(), ScalingPolicy{}, costs());
    EXPECT_FALSE(f.instances.has_value());
    EXPECT_EQ(f.users_per_instance, 0);
    EXPECT_EQ(f.limiting, Resource::kMemory);
    EXPECT_EQ(f.recommendation.action, ScalingAction::kHold);
    EXPECT_NE(f.recommendation.reason.find("cannot serve a single user"), std::string::npos);
}

TEST(Capacity, AForecastSizesTheClusterAtThePolicysThresholds) {
    const ScalingPolicy policy;
    // At 70% CPU an instance serves 14,000 users; the connections allow 12,000 at 80%.
    const auto f = forecast(100'000, 30, 3, two_cores(), user_cost(), policy, costs());
    EXPECT_EQ(f.users_per_instance, 12'000);
    EXPECT_EQ(f.limiting, Resource::kWsConnections);
    EXPECT_EQ(f.instances, 9);
    EXPECT_EQ(f.memory_bytes, 9 * 64 * kMiB + 100'000 * 16 * 1024);
    EXPECT_EQ(f.db_connections, 900);
    EXPECT_DOUBLE_EQ(f.db_queries_per_s, 10'000);
    EXPECT_EQ(f.monthly_cost_usd, 9 * 50 + 620);
    EXPECT_EQ(f.cost_per_1000_users, *Decimal::parse("10.7"));
    EXPECT_EQ(f.recommendation.action, ScalingAction::kScaleUp);
    EXPECT_NE(f.recommendation.reason.find("add 6 within 30 days"), std::string::npos)
        << f.recommendation.reason;
    EXPECT_NE(f.recommendation.reason.find("above the target"), std::string::npos);
}

TEST(Capacity, AForecastKeepsThePolicysMinimumAndSaysWhenTheMaximumIsTooLow) {
    const ScalingPolicy policy;
    auto f = forecast(10, 7, 2, two_cores(), user_cost(), policy, costs());
    EXPECT_EQ(f.instances, policy.min_instances);
    EXPECT_EQ(f.recommendation.action, ScalingAction::kHold) << f.recommendation.reason;
    f = forecast(10, 7, 4, two_cores(), user_cost(), policy, costs());
    EXPECT_EQ(f.recommendation.action, ScalingAction::kScaleDown) << f.recommendation.reason;
    f = forecast(1'000'000, 90, 4, two_cores(), user_cost(), policy, costs());
    EXPECT_EQ(f.instances, 84);
    EXPECT_EQ(f.recommendation.action, ScalingAction::kScaleUp);
    EXPECT_NE(f.recommendation.reason.find("max_instances"), std::string::npos)
        << f.recommendation.reason;
}

}  // namespace
}  // namespace botcore::ops
