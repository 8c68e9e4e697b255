// This process's resident memory and CPU use, read from /proc.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace botcore::ops {

class ProcessStats {
  public:
    ProcessStats();
    std::int64_t resident_bytes() const;
    // CPU time used over the last sampling window, as a percentage of what the process may use
    // (its cgroup's CPU quota, or all cores; 0–100).
    // A call less than a second after the previous sample returns the previous figure.
    double cpu_percent();
    double cores() const { return cores_; }
    // The memory this process may use: the machine's, or less when its cgroup is limited.
    static std::int64_t memory_limit_bytes();

  private:
    std::mutex mutex_;
    std::chrono::steady_clock::time_point sampled_at_;
    double cpu_seconds_at_sample_ = 0;
    double last_percent_ = 0;
    double cores_ = 1;
};

}  // namespace botcore::ops
