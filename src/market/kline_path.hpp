// The price path a replay walks through one recorded kline: open, then the nearer extreme,
// then the other one, then close, spread over the kline's interval.
#pragma once

#include <array>

#include "market/binance_kline.hpp"
#include "ports/feed.hpp"

namespace botcore::market {

// Four ticks: the open at open_ms, the two extremes a third and two thirds into the interval,
// the close at close_ms. A rising kline (close >= open) visits the low first, a falling one the
// high, which is the shorter path through the four prices. The kline's volume is split evenly,
// the indivisible remainder going to the close, so the four volumes add up to it exactly.
std::array<ports::Tick, 4> kline_path(const Kline& kline);

}  // namespace botcore::market
