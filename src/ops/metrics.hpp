// The one metrics registry: per-route request counters and latency histograms (lock-free on
// the request path) plus collectors that write the rest at scrape time, in Prometheus text
// format 0.0.4.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace botcore::ops {

class PromWriter {
  public:
    void family(std::string_view name, std::string_view type, std::string_view help);
    // labels: preformatted `key="value",...` (may be empty); values escaped by label().
    void sample(std::string_view name, std::string_view labels, double value);
    void sample(std::string_view name, std::string_view labels, std::uint64_t value);
    static std::string label(std::string_view key, std::string_view value);
    std::string take() { return std::move(out_); }

  private:
    std::string out_;
};

class LatencyHistogram {
  public:
    static constexpr std::array<double, 14> kBounds{
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
    void observe(std::chrono::nanoseconds elapsed);
    void write(PromWriter& out, std::string_view name, std::string_view labels) const;

  private:
    std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> buckets_{};  // last: +Inf only
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::uint64_t> sum_ns_{0};
};

class RouteMetrics {
  public:
    explicit RouteMetrics(std::string route) : route_(std::move(route)) {}
    void record(int status, std::chrono::nanoseconds elapsed);
    const std::string& route() const { return route_; }

  private:
    friend class MetricsRegistry;
    static constexpr int kFirstStatus = 100;
    std::string route_;
    std::array<std::atomic<std::uint64_t>, 500> by_status_{};
    LatencyHistogram latency_;
};

class MetricsRegistry {
  public:
    using Collector = std::function<void(PromWriter&)>;

    // Registered once per route template; the reference stays valid for the registry's life.
    RouteMetrics& route(std::string_view route_template);
    void add_collector(Collector collector);
    std::string render() const;
    // Requests answered since the start on the routes `counted` accepts (by template).
    std::uint64_t requests_total(const std::function<bool(std::string_view route)>& counted) const;

  private:
    mutable std::mutex mutex_;
    std::deque<RouteMetrics> routes_;
    std::vector<Collector> collectors_;
};

}  // namespace botcore::ops
