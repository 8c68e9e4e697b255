#include "market/simulated_feed.hpp"

#include <algorithm>

namespace botcore::market {

SimulatedFeed::SimulatedFeed(RandomWalk walk, std::chrono::milliseconds interval, OnTick on_tick)
    : walk_(std::move(walk)),
      on_tick_(std::move(on_tick)),
      task_(
          std::max(std::chrono::microseconds(1),
                   std::chrono::duration_cast<std::chrono::microseconds>(interval) /
                       static_cast<std::int64_t>(std::max<std::size_t>(1, walk_.current().size()))),
          [this] { step_next(); }) {}

void SimulatedFeed::step_next() {
    RandomWalk::Walker walker;
    {
        std::lock_guard lock(mutex_);
        if (walk_.current().empty()) {
            return;
        }
        walker = walk_.step_one(next_);
        next_ = (next_ + 1) % walk_.current().size();
    }
    publish(std::span(&walker, 1));
}

void SimulatedFeed::start() {
    std::vector<RandomWalk::Walker> walkers;
    {
        std::lock_guard lock(mutex_);
        walkers = walk_.current();
    }
    publish(walkers);
    task_.start();
}

void SimulatedFeed::follow(std::span<const ports::Tick> ticks) {
    std::lock_guard lock(mutex_);
    for (const auto& tick : ticks) {
        walk_.move_to(tick.symbol, tick.price);
    }
}

void SimulatedFeed::publish(std::span<const RandomWalk::Walker> walkers) {
    const auto ts = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    std::vector<ports::Tick> ticks;
    ticks.reserve(walkers.size());
    for (const auto& walker : walkers) {
        ticks.push_back({walker.symbol, walker.price, walker.volume, ts});
    }
    on_tick_(ticks);
}

}  // namespace botcore::market
