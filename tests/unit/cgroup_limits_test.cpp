#include "ops/cgroup_limits.hpp"

#include <gtest/gtest.h>

namespace botcore::ops {
namespace {

TEST(CgroupLimits, FindsAControllersGroupAndTheV2Group) {
    constexpr std::string_view kHybrid =
        "9:name=systemd:/\n4:memory:/jobs/42\n2:cpu,cpuacct:/jobs/42/web\n0::/unified/x\n";
    EXPECT_EQ(cgroup_path(kHybrid, "memory"), "/jobs/42");
    EXPECT_EQ(cgroup_path(kHybrid, "cpu"), "/jobs/42/web");
    EXPECT_EQ(cgroup_path(kHybrid, "cpuacct"), "/jobs/42/web");
    EXPECT_EQ(cgroup_path(kHybrid, ""), "/unified/x");
    EXPECT_FALSE(cgroup_path(kHybrid, "pids").has_value());
    EXPECT_FALSE(cgroup_path("garbage\n", "cpu").has_value());
}

TEST(CgroupLimits, AQuotaIsCoresWorthOfTimeAndNoneWithoutOne) {
    EXPECT_DOUBLE_EQ(*cpus_from_cpu_max("25000 100000\n"), 0.25);
    EXPECT_DOUBLE_EQ(*cpus_from_cpu_max("200000 100000"), 2.0);
    EXPECT_FALSE(cpus_from_cpu_max("max 100000\n").has_value());
    EXPECT_FALSE(cpus_from_cpu_max("").has_value());
    EXPECT_DOUBLE_EQ(*cpus_from_cfs(50000, 100000), 0.5);
    EXPECT_FALSE(cpus_from_cfs(-1, 100000).has_value());
    EXPECT_FALSE(cpus_from_cfs(1000, 0).has_value());
}

}  // namespace
}  // namespace botcore::ops
