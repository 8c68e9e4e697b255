// Drives the random walk in real time: every interval, each symbol steps once and the new
// prices are handed to the consumer together (the simulator trades no volume).
#pragma once

#include <chrono>
#include <functional>
#include <span>
#include <string>

#include "market/simulator.hpp"
#include "ops/periodic_task.hpp"
#include "ports/feed.hpp"

namespace botcore::market {

class SimulatedFeed {
  public:
    // Every symbol's tick of one step at once, so they can be published together.
    using OnTick = std::function<void(std::span<const ports::Tick> ticks)>;

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
