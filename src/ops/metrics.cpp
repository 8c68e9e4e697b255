#include "ops/metrics.hpp"

#include <fmt/format.h>

namespace botcore::ops {

void PromWriter::family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void PromWriter::sample(std::string_view name, std::string_view labels, double value) {
    if (labels.empty()) {
        out_ += fmt::format("{} {}\n", name, value);
    } else {
        out_ += fmt::format("{}{{{}}} {}\n", name, labels, value);
    }
}

void PromWriter::sample(std::string_view name, std::string_view labels, std::uint64_t value) {
    if (labels.empty()) {
        out_ += fmt::format("{} {}\n", name, value);
    } else {
        out_ += fmt::format("{}{{{}}} {}\n", name, labels, value);
    }
}

std::string PromWriter::label(std::string_view key, std::string_view value) {
    std::string escaped;
    escaped.reserve(value.size());
    for (const char c : value) {
        if (c == '\\' || c == '"') {
            escaped += '\\';
            escaped += c;
        } else if (c == '\n') {
            escaped += "\\n";
        } else {
            escaped += c;
        }
    }
    return fmt::format("{}=\"{}\"", key, escaped);
}

void LatencyHistogram::observe(std::chrono::nanoseconds elapsed) {
    const double seconds = std::chrono::duration<double>(elapsed).count();
    std::size_t bucket = 0;
    while (bucket < kBounds.size() && seconds > kBounds[bucket]) {
        ++bucket;
    }
    buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<std::uint64_t>(elapsed.count()), std::memory_order_relaxed);
}

void LatencyHistogram::write(PromWriter& out, std::string_view name,
                             std::string_view labels) const {
    const std::string prefix = labels.empty() ? std::string{} : std::string(labels) + ",";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBounds.size(); ++i) {
        cumulative += buckets_[i].load(std::memory_order_relaxed);
        out.sample(fmt::format("{}_bucket", name),
                   prefix + PromWriter::label("le", fmt::format("{}", kBounds[i])), cumulative);
    }
    cumulative += buckets_[kBounds.size()].load(std::memory_order_relaxed);
    out.sample(fmt::format("{}_bucket", name), prefix + PromWriter::label("le", "+Inf"),
               cumulative);
    out.sample(fmt::format("{}_sum", name), labels,
               static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9);
    out.sample(fmt::format("{}_count", name), labels, cumulative);
}

void RouteMetrics::record(int status, std::chrono::nanoseconds elapsed) {
    const int index = status - kFirstStatus;
    if (index >= 0 && index < static_cast<int>(by_status_.size())) {
        by_status_[static_cast<std::size_t>(index)].fetch_add(1, std::memory_order_relaxed);
    }
    latency_.observe(elapsed);
}

RouteMetrics& MetricsRegistry::route(std::string_view route_template) {
    std::lock_guard lock(mutex_);
    for (auto& route : routes_) {
        if (route.route() == route_template) {
            return route;
        }
    }
    return routes_.emplace_back(std::string(route_template));
}

void MetricsRegistry::add_collector(Collector collector) {
    std::lock_guard lock(mutex_);
    collectors_.push_back(std::move(collector));
}

std::uint64_t MetricsRegistry::requests_total(
    const std::function<bool(std::string_view route)>& counted) const {
    std::uint64_t total = 0;
    std::lock_guard lock(mutex_);
    for (const auto& route : routes_) {
        if (!counted(route.route())) {
            continue;
        }
        for (const auto& count : route.by_status_) {
            total += count.load(std::memory_order_relaxed);
        }
    }
    return total;
}

std::string MetricsRegistry::render() const {
    PromWriter out;
    std::lock_guard lock(mutex_);
    out.family("http_requests_total", "counter",
               "HTTP requests answered, by route template and status code.");
    for (const auto& route : routes_) {
        for (std::size_t i = 0; i < route.by_status_.size(); ++i) {
            const auto count = route.by_status_[i].load(std::memory_order_relaxed);
            if (count != 0) {
                out.sample(
                    "http_requests_total",
                    PromWriter::label("route", route.route()) + "," +
                        PromWriter::label("code", std::to_string(i + RouteMetrics::kFirstStatus)),
                    count);
            }
        }
    }
    out.family("http_request_duration_seconds", "histogram",
               "Time from a complete request to its response being handed to the socket.");
    for (const auto& route : routes_) {
        route.latency_.write(out, "http_request_duration_seconds",
                             PromWriter::label("route", route.route()));
    }
    for (const auto& collector : collectors_) {
        collector(out);
    }
    return out.take();
}

}  // namespace botcore::ops
