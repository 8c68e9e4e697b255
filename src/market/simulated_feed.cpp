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
    if (walk_.current().empty()) {
        return;
    }
    const auto& walker = walk_.step_one(next_);
    next_ = (next_ + 1) % walk_.current().size();
    publish(std::span(&walker, 1));
}

void SimulatedFeed::start() {
    publish(walk_.current());
    task_.start();
}

void SimulatedFeed::publish(std::span<const RandomWalk::Walker> walkers) {
    const auto ts = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    std::vector<ports::Tick> ticks;
    ticks.reserve(walkers.size());
    for (const auto& walker : walkers) {
        ticks.push_back({walker.symbol, walker.price, domain::Decimal{}, ts});
    }
    on_tick_(ticks);
}

}  // namespace botcore::market
