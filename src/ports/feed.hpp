// Where market prices come from: the simulator, a replay of recorded klines, or a live
// exchange stream. A feed delivers ticks on its own thread until it is stopped.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "domain/decimal.hpp"

namespace botcore::ports {

struct Tick {
    std::string symbol;      // upper case, e.g. BTCUSDT
    domain::Decimal price;   // the last trade price
    domain::Decimal volume;  // base-asset volume traded since the symbol's previous tick (>= 0)
    std::int64_t ts_ms = 0;  // when the price was observed (exchange or simulated time)
};

enum class FeedHealth {
    kOk,        // ticks are flowing
    kStarting,  // not connected yet
    kDegraded,  // reconnecting, or the source went silent
    kFinished,  // a replay reached the end of its data
};

std::string_view to_string(FeedHealth health);

// Ticks shared by the instances of a cluster: the instance that leads the feed publishes what
// its feed delivers, the others receive it, so every instance works on the same prices.
class TickBus {
  public:
    virtual ~TickBus() = default;
    virtual void publish(std::span<const Tick> ticks) = 0;
    // received(ticks) runs for ticks published by another instance. An empty function stops
    // the calls.
    virtual void watch(std::function<void(std::span<const Tick> ticks)> received) = 0;
};

class Feed {
  public:
    using OnTick = std::function<void(const Tick& tick)>;
    // The feed's time reached ts_ms with no tick to show it: no tick before ts_ms will follow
    // (a replay at the end of its data).
    using OnTime = std::function<void(std::int64_t ts_ms)>;

    virtual ~Feed() = default;
    // Starts delivering ticks to on_tick, one at a time, and times to on_time (optional), from
    // a thread of the feed's own.
    virtual void start(OnTick on_tick, OnTime on_time) = 0;
    void start(OnTick on_tick) { start(std::move(on_tick), {}); }
    // Stops delivering; on_tick is not called after stop() returns. Idempotent.
    virtual void stop() = 0;
    virtual FeedHealth health() const = 0;
};

}  // namespace botcore::ports
