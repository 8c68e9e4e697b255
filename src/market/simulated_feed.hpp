// Drives the random walk in real time: every symbol steps once per interval, the symbols spread
// evenly over it (as a real market's symbols do not all trade at the same instant), and each new
// price is handed to the consumer with the volume the walk traded in the step.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
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
    // Moves the walk to the prices another instance's feed published, so that if this feed
    // takes the lead it continues their path instead of jumping back to its own.
    void follow(std::span<const ports::Tick> ticks);

  private:
    void publish(std::span<const RandomWalk::Walker> walkers);
    void step_next();

    std::mutex mutex_;  // the walk: stepped by the task, moved by follow()
    RandomWalk walk_;
    OnTick on_tick_;
    std::size_t next_ = 0;
    ops::PeriodicTask task_;
};

}  // namespace botcore::market
