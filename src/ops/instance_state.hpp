// What this instance knows about itself at run time: identity, lifecycle and load. Shared by
// the network layer (which updates it) and health, metrics and capacity (which read it).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace botcore::ops {

struct InstanceState {
    std::string instance_id;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    int max_connections = 0;
    int ws_limit = 0;

    std::atomic<bool> draining{false};
    std::atomic<int> http_connections{0};
    std::atomic<int> http_in_flight{0};
    std::atomic<int> ws_connections{0};

    std::int64_t uptime_s() const {
        return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                started)
            .count();
    }
};

}  // namespace botcore::ops
