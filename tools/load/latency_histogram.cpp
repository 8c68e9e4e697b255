#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace botcore::load {

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

}  // namespace

std::size_t LatencyHistogram::bucket_of(std::uint64_t micros) noexcept {
    if (micros < kLinear) {
        return static_cast<std::size_t>(micros);
    }
    const int octave = static_cast<int>(std::bit_width(micros)) - 1;
    if (octave > kTopOctave) {
        return kBuckets - 1;
    }
    const int shift = octave - 6;
    const auto sub = static_cast<std::size_t>(micros >> shift) - kPerOctave;
    return kLinear + static_cast<std::size_t>(octave - 7) * kPerOctave + sub;
}

double LatencyHistogram::bucket_middle_us(std::size_t index) noexcept {
    if (index < kLinear) {
        return static_cast<double>(index);
    }
    const std::size_t above = index - kLinear;
    const int shift = static_cast<int>(above / kPerOctave) + 1;
    const std::uint64_t low = (kPerOctave + above % kPerOctave) << shift;
    const std::uint64_t width = std::uint64_t{1} << shift;
    return static_cast<double>(low) + static_cast<double>(width - 1) / 2.0;
}

void LatencyHistogram::record_us(std::int64_t micros) noexcept {
    std::uint64_t value = 0;
    if (micros < 0) {
        negative_.fetch_add(1, kRelaxed);
    } else {
        value = static_cast<std::uint64_t>(micros);
    }
    counts_[bucket_of(value)].fetch_add(1, kRelaxed);
    sum_us_.fetch_add(value, kRelaxed);
    // Each retry sees a strictly closer bound, so these loops end.
    auto low = min_us_.load(kRelaxed);
    while (value < low && !min_us_.compare_exchange_weak(low, value, kRelaxed)) {
    }
    auto high = max_us_.load(kRelaxed);
    while (value > high && !max_us_.compare_exchange_weak(high, value, kRelaxed)) {
    }
}

double LatencyHistogram::quantile_us(double q, std::uint64_t count) const {
    const auto rank = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
        seen += counts_[i].load(kRelaxed);
        if (seen >= rank) {
            return bucket_middle_us(i);
        }
    }
    return bucket_middle_us(kBuckets - 1);
}

LatencySummary LatencyHistogram::summarize() const {
    LatencySummary summary;
    for (const auto& bucket : counts_) {
        summary.count += bucket.load(kRelaxed);
    }
    if (summary.count == 0) {
        return summary;
    }
    const auto min_us = static_cast<double>(min_us_.load(kRelaxed));
    const auto max_us = static_cast<double>(max_us_.load(kRelaxed));
    // A bucket's middle can lie outside what was seen: keep quantiles within [min, max].
    const auto at = [&](double q) {
        return std::clamp(quantile_us(q, summary.count), min_us, max_us) / 1000.0;
    };
    summary.negative = negative_.load(kRelaxed);
    summary.min_ms = min_us / 1000.0;
    summary.max_ms = max_us / 1000.0;
    summary.mean_ms =
        static_cast<double>(sum_us_.load(kRelaxed)) / static_cast<double>(summary.count) / 1000.0;
    summary.p50_ms = at(0.50);
    summary.p90_ms = at(0.90);
    summary.p99_ms = at(0.99);
    summary.p999_ms = at(0.999);
    return summary;
}

}  // namespace botcore::load
