// Latency histogram with HDR-like log-linear buckets: exact to the microsecond below 128 µs,
// then 64 buckets per power of two (at most 1.6 % wide). Safe to record into from many threads.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace botcore::load {

struct LatencySummary {
    std::uint64_t count = 0;
    std::uint64_t negative = 0;  // samples below zero (clocks apart), recorded as 0
    double min_ms = 0;
    double mean_ms = 0;
    double p50_ms = 0;
    double p90_ms = 0;
    double p99_ms = 0;
    double p999_ms = 0;
    double max_ms = 0;
};

class LatencyHistogram {
  public:
    void record_us(std::int64_t micros) noexcept;
    LatencySummary summarize() const;

  private:
    static constexpr std::size_t kLinear = 128;
    static constexpr std::size_t kPerOctave = 64;
    static constexpr int kTopOctave = 40;  // 2^41 µs is about 25 days: larger values are clamped
    static constexpr std::size_t kBuckets = kLinear + (kTopOctave - 7 + 1) * kPerOctave;

    static std::size_t bucket_of(std::uint64_t micros) noexcept;
    static double bucket_middle_us(std::size_t index) noexcept;
    double quantile_us(double q, std::uint64_t count) const;

    std::array<std::atomic<std::uint64_t>, kBuckets> counts_{};
    std::atomic<std::uint64_t> sum_us_{0};
    std::atomic<std::uint64_t> negative_{0};
    std::atomic<std::uint64_t> min_us_{std::numeric_limits<std::uint64_t>::max()};
    std::atomic<std::uint64_t> max_us_{0};
};

}  // namespace botcore::load
