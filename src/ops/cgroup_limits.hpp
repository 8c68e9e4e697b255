// What this process's control groups allow it: CPU (a quota) and memory. cgroup v2, or v1's
// cpu and memory controllers. Read once at start: limits set later are not seen.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace botcore::ops {

struct CgroupLimits {
    std::optional<double> cpus;  // cores' worth of CPU time per second
    std::optional<std::int64_t> memory_bytes;
};

CgroupLimits read_cgroup_limits();

// The parts, pure:
// The group of `controller` in the text of /proc/self/cgroup ("" asks for the v2 group).
std::optional<std::string> cgroup_path(std::string_view proc_cgroup, std::string_view controller);
// cgroup v2 cpu.max ("25000 100000"; "max 100000" is no limit).
std::optional<double> cpus_from_cpu_max(std::string_view cpu_max);
// cgroup v1 cpu.cfs_quota_us and cpu.cfs_period_us (a quota of -1 is no limit).
std::optional<double> cpus_from_cfs(std::int64_t quota_us, std::int64_t period_us);

}  // namespace botcore::ops
