#include "ops/cgroup_limits.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

namespace botcore::ops {

namespace {

constexpr std::string_view kRoot = "/sys/fs/cgroup";

std::optional<std::string> read_text(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        return std::nullopt;
    }
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::optional<std::int64_t> read_number(const std::string& path) {
    const auto text = read_text(path);
    if (!text) {
        return std::nullopt;
    }
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{}) {
        return std::nullopt;  // "max": no limit
    }
    return value;
}

}  // namespace

std::optional<std::string> cgroup_path(std::string_view proc_cgroup, std::string_view controller) {
    while (!proc_cgroup.empty()) {
        const auto end = proc_cgroup.find('\n');
        auto line = proc_cgroup.substr(0, end);
        proc_cgroup =
            end == std::string_view::npos ? std::string_view() : proc_cgroup.substr(end + 1);
        // hierarchy-id:controller,controller:path
        const auto first = line.find(':');
        const auto second = line.find(':', first == std::string_view::npos ? 0 : first + 1);
        if (first == std::string_view::npos || second == std::string_view::npos) {
            continue;
        }
        auto controllers = line.substr(first + 1, second - first - 1);
        const auto path = line.substr(second + 1);
        if (controller.empty()) {
            if (controllers.empty()) {
                return std::string(path);
            }
            continue;
        }
        while (!controllers.empty()) {
            const auto comma = controllers.find(',');
            if (controllers.substr(0, comma) == controller) {
                return std::string(path);
            }
            controllers = comma == std::string_view::npos ? std::string_view()
                                                          : controllers.substr(comma + 1);
        }
    }
    return std::nullopt;
}

std::optional<double> cpus_from_cpu_max(std::string_view cpu_max) {
    const auto space = cpu_max.find(' ');
    if (space == std::string_view::npos) {
        return std::nullopt;
    }
    std::int64_t quota = 0;
    std::int64_t period = 0;
    const auto q = cpu_max.substr(0, space);
    auto p = cpu_max.substr(space + 1);
    while (!p.empty() && (p.back() == '\n' || p.back() == ' ')) {
        p.remove_suffix(1);
    }
    if (std::from_chars(q.data(), q.data() + q.size(), quota).ec != std::errc{} ||
        std::from_chars(p.data(), p.data() + p.size(), period).ec != std::errc{}) {
        return std::nullopt;
    }
    return cpus_from_cfs(quota, period);
}

std::optional<double> cpus_from_cfs(std::int64_t quota_us, std::int64_t period_us) {
    if (quota_us <= 0 || period_us <= 0) {
        return std::nullopt;
    }
    return static_cast<double>(quota_us) / static_cast<double>(period_us);
}

CgroupLimits read_cgroup_limits() {
    CgroupLimits limits;
    const auto self = read_text("/proc/self/cgroup");
    if (!self) {
        return limits;
    }
    const std::string root(kRoot);
    if (const auto v2 = cgroup_path(*self, ""); v2 && read_text(root + *v2 + "/cpu.max")) {
        limits.cpus = cpus_from_cpu_max(*read_text(root + *v2 + "/cpu.max"));
        if (const auto memory = read_number(root + *v2 + "/memory.max"); memory && *memory > 0) {
            limits.memory_bytes = memory;
        }
        return limits;
    }
    if (const auto cpu = cgroup_path(*self, "cpu")) {
        for (const auto* dir : {"/cpu,cpuacct", "/cpu"}) {
            const auto base = root + dir + *cpu;
            const auto quota = read_number(base + "/cpu.cfs_quota_us");
            const auto period = read_number(base + "/cpu.cfs_period_us");
            if (quota && period) {
                limits.cpus = cpus_from_cfs(*quota, *period);
                break;
            }
        }
    }
    if (const auto memory = cgroup_path(*self, "memory")) {
        // v1 says "no limit" with a number near 2^63: the caller keeps the smaller of it and
        // the machine's memory.
        if (const auto bytes = read_number(root + "/memory" + *memory + "/memory.limit_in_bytes");
            bytes && *bytes > 0) {
            limits.memory_bytes = bytes;
        }
    }
    return limits;
}

}  // namespace botcore::ops
