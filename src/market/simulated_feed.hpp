// Drives the random walk in real time: every interval, each symbol steps once and its new
// price is handed to the consumer (the trading engine's triggers, the price book).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "market/simulator.hpp"

namespace botcore::market {

class SimulatedFeed {
  public:
    using OnTick =
        std::function<void(const std::string& symbol, domain::Decimal price, std::int64_t ts_ms)>;

    SimulatedFeed(RandomWalk walk, std::chrono::milliseconds interval, OnTick on_tick);
    ~SimulatedFeed();  // stops the thread
    SimulatedFeed(const SimulatedFeed&) = delete;
    SimulatedFeed& operator=(const SimulatedFeed&) = delete;

    // Publishes the starting prices, then steps on a background thread.
    void start();
    void stop();

  private:
    void run();

    RandomWalk walk_;
    std::chrono::milliseconds interval_;
    OnTick on_tick_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace botcore::market
