// Drives the random walk in real time: every interval, each symbol steps once and its new
// price is handed to the consumer (the trading engine's triggers, the price book).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "market/simulator.hpp"
#include "ops/periodic_task.hpp"

namespace botcore::market {

class SimulatedFeed {
  public:
    using OnTick =
        std::function<void(const std::string& symbol, domain::Decimal price, std::int64_t ts_ms)>;

    SimulatedFeed(RandomWalk walk, std::chrono::milliseconds interval, OnTick on_tick);

    // Publishes the starting prices, then steps on a background thread.
    void start();
    void stop() { task_.stop(); }

  private:
    void publish(const std::vector<RandomWalk::Walker>& walkers);

    RandomWalk walk_;
    OnTick on_tick_;
    ops::PeriodicTask task_;
};

}  // namespace botcore::market
