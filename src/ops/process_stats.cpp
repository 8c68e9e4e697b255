#include "ops/process_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <string>
#include <thread>

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
// The first number in a file, if it holds one ("max" in a cgroup v2 limit does not).
std::optional<std::int64_t> number_in(const char* path) {
    std::ifstream in(path);
    std::int64_t value = 0;
    if (in >> value && value > 0) {
        return value;
    }
    return std::nullopt;
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
}  // namespace

std::int64_t ProcessStats::memory_limit_bytes() {
    auto limit = machine_memory_bytes();
    // cgroup v2, then v1 (whose "no limit" is a huge number, above the machine's memory).
    for (const auto* path :
         {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
        if (const auto cgroup = number_in(path); cgroup && (limit == 0 || *cgroup < limit)) {
            limit = *cgroup;
        }
    }
    return limit;
}

ProcessStats::ProcessStats()
    : sampled_at_(std::chrono::steady_clock::now()),
      cpu_seconds_at_sample_(process_cpu_seconds()),
      cores_(std::max(1u, std::thread::hardware_concurrency())) {}

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
