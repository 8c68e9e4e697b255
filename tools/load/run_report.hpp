// The outcome of a run: the human summary on stdout and the JSON summary for --out.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <vector>

#include "latency_histogram.hpp"
#include "load_options.hpp"

namespace botcore::load {

using ReasonMap = std::map<std::string, std::uint64_t>;

struct RateSpread {
    std::size_t connections = 0;
    double min = 0;
    double mean = 0;
    double max = 0;
};

struct RunReport {
    LoadOptions options;
    std::vector<std::string> symbols;
    int symbols_per_user = 0;
    bool completed = false;  // every phase ran to its end
    bool interrupted = false;
    std::string stop_reason;  // why the run ended early, if it did
    double total_seconds = 0;

    double sign_in_seconds = 0;
    std::uint64_t registered = 0;
    std::uint64_t already_registered = 0;
    std::uint64_t logged_in = 0;
    ReasonMap sign_in_failures;
    LatencySummary register_ms;
    LatencySummary login_ms;
    double symbols_fetch_ms = 0;

    double ramp_seconds = 0;  // first connection started to the last one subscribed or failed
    std::uint64_t connect_attempts = 0;
    std::uint64_t connected = 0;
    std::uint64_t subscribed = 0;
    std::uint64_t closed_cleanly = 0;
    ReasonMap connect_failures;
    ReasonMap disconnects;
    ReasonMap close_problems;
    LatencySummary connect_ms;

    double warmup_seconds = 0;
    double measured_seconds = 0;
    std::uint64_t messages = 0;
    std::uint64_t measured_messages = 0;
    std::uint64_t measured_bytes = 0;
    double messages_per_second = 0;
    RateSpread per_connection;  // price messages/s of each connection that never dropped
    LatencySummary latency_ms;
    std::uint64_t error_messages = 0;
    std::uint64_t other_messages = 0;
    ReasonMap error_codes;

    // 0 when the run completed with every user subscribed and no failure or drop, else 1.
    int exit_code() const;
};

void print_summary(const RunReport& report);
std::expected<void, std::string> write_json_summary(const RunReport& report,
                                                    const std::string& path);

}  // namespace botcore::load
