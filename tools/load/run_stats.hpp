// What a run counts, shared by the HTTP and WebSocket sides and read for the summary.
#pragma once

#include <atomic>
#include <cstdint>

#include "latency_histogram.hpp"
#include "reason_counts.hpp"

namespace botcore::load {

enum class Phase { kSetup, kWarmup, kMeasuring, kClosing };

struct RunStats {
    using Counter = std::atomic<std::uint64_t>;

    std::atomic<Phase> phase{Phase::kSetup};
    std::atomic<bool> stop_requested{false};

    // Sign-in.
    Counter registered{0};
    Counter already_registered{0};
    Counter logged_in{0};
    ReasonCounts sign_in_failures;
    LatencyHistogram register_latency;
    LatencyHistogram login_latency;

    // Connections.
    Counter connect_attempts{0};
    Counter connected{0};
    Counter subscribed{0};
    Counter closed_cleanly{0};
    ReasonCounts connect_failures;
    ReasonCounts disconnects;          // closes and errors the tool did not ask for
    ReasonCounts close_problems;       // errors while closing on purpose
    LatencyHistogram connect_latency;  // TCP connect to the "subscribed" answer

    // Messages.
    Counter messages{0};  // every message, in every phase
    Counter measured_messages{0};
    Counter measured_bytes{0};
    Counter error_messages{0};
    Counter other_messages{0};
    ReasonCounts error_codes;
    LatencyHistogram tick_latency;
};

}  // namespace botcore::load
