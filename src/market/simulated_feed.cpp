#include "market/simulated_feed.hpp"

namespace botcore::market {

SimulatedFeed::SimulatedFeed(RandomWalk walk, std::chrono::milliseconds interval, OnTick on_tick)
    : walk_(std::move(walk)),
      on_tick_(std::move(on_tick)),
      task_(interval, [this] { publish(walk_.step()); }) {}

void SimulatedFeed::start() {
    publish(walk_.current());
    task_.start();
}

void SimulatedFeed::publish(const std::vector<RandomWalk::Walker>& walkers) {
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
