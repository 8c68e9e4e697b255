#include "ops/process_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <thread>

#include "ops/cgroup_limits.hpp"

namespace botcore::ops {

namespace {
double process_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}
std::int64_t machine_memory_bytes() {
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    std::int64_t kib = 0;
    std::string unit;
    while (meminfo >> key >> kib >> unit) {
        if (key == "MemTotal:") {
            return kib * 1024;
        }
    }
    return 0;
}

double allowed_cores() {
    const double machine = std::max(1u, std::thread::hardware_concurrency());
    const auto quota = read_cgroup_limits().cpus;
    return quota ? std::min(machine, *quota) : machine;
}
}  // namespace

std::int64_t ProcessStats::memory_limit_bytes() {
    const auto machine = machine_memory_bytes();
    const auto cgroup = read_cgroup_limits().memory_bytes;
    if (cgroup && (machine == 0 || *cgroup < machine)) {
        return *cgroup;
    }
    return machine;
}

ProcessStats::ProcessStats()
    : sampled_at_(std::chrono::steady_clock::now()),
      cpu_seconds_at_sample_(process_cpu_seconds()),
      cores_(allowed_cores()) {}

std::int64_t ProcessStats::resident_bytes() const {
    std::ifstream statm("/proc/self/statm");
    std::int64_t size_pages = 0;
    std::int64_t resident_pages = 0;
    statm >> size_pages >> resident_pages;
    return resident_pages * sysconf(_SC_PAGESIZE);
}

double ProcessStats::cpu_percent() {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    const double wall = std::chrono::duration<double>(now - sampled_at_).count();
    if (wall >= 1.0) {
        const double cpu = process_cpu_seconds();
        last_percent_ = std::min(100.0, 100.0 * (cpu - cpu_seconds_at_sample_) / (wall * cores_));
        cpu_seconds_at_sample_ = cpu;
        sampled_at_ = now;
    }
    return last_percent_;
}

}  // namespace botcore::ops
