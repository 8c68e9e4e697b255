#include "market/simulated_feed.hpp"

namespace botcore::market {

namespace {
std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}
}  // namespace

SimulatedFeed::SimulatedFeed(RandomWalk walk, std::chrono::milliseconds interval, OnTick on_tick)
    : walk_(std::move(walk)), interval_(interval), on_tick_(std::move(on_tick)) {}

SimulatedFeed::~SimulatedFeed() {
    stop();
}

void SimulatedFeed::start() {
    const auto ts = now_ms();
    for (const auto& walker : walk_.current()) {
        on_tick_(walker.symbol, walker.price, ts);
    }
    thread_ = std::thread([this] { run(); });
}

void SimulatedFeed::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void SimulatedFeed::run() {
    auto next = std::chrono::steady_clock::now();
    for (;;) {
        next += interval_;
        {
            std::unique_lock lock(mutex_);
            if (wake_.wait_until(lock, next, [this] { return stopping_; })) {
                return;
            }
        }
        const auto ts = now_ms();
        for (const auto& walker : walk_.step()) {
            on_tick_(walker.symbol, walker.price, ts);
        }
    }
}

}  // namespace botcore::market
