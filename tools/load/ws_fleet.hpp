// The WebSocket side of a run: one connection per user, opened at the ramp rate, subscribed
// to its price channels, counting and timing what arrives until it is closed.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "run_stats.hpp"
#include "server_address.hpp"

namespace botcore::load {

struct FleetPlan {
    ServerAddress server;
    std::vector<std::string> tokens;  // one per user; none at all: connect with ?token=load
    std::vector<std::string> symbols;
    int users = 0;
    int symbols_per_user = 1;
    double ramp_per_second = 1;
    std::chrono::milliseconds handshake_timeout{10'000};
};

class WsFleet {
  public:
    // Connection i runs on executors[i % size]: one single-threaded io_context each, so a
    // connection needs no strand.
    WsFleet(std::vector<boost::asio::io_context::executor_type> executors, FleetPlan plan,
            RunStats& stats);
    ~WsFleet();
    WsFleet(const WsFleet&) = delete;
    WsFleet& operator=(const WsFleet&) = delete;

    // Starts the connections at the ramp rate and returns once all are started, or at the
    // deadline or a stop request. Must run on the thread close_all is called from.
    boost::asio::awaitable<void> ramp(std::chrono::steady_clock::time_point deadline);

    std::size_t settling() const;  // started, neither subscribed nor failed yet
    std::size_t live() const;      // started and not finished, close handshake included

    void close_all();  // a normal close (1000) of every connection
    void abort_all();  // drops the sockets of those still open

    // Price messages each connection got while measuring, for those subscribed and never
    // dropped. Call once the connections are finished.
    std::vector<std::uint32_t> measured_per_healthy_connection() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace botcore::load
