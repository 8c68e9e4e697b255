// Isolated margin: initial margin, tiered maintenance rates and the liquidation price.
//
// The maintenance rate of a tier is the share of the position's initial margin that must stay
// in it; a position is liquidated when its losses have eaten the rest:
//   long  liq = entry * (1 - (1 - mmr) / lev)
//   short liq = entry * (1 + (1 - mmr) / lev)
// Read as a share of notional instead (entry * (1 - 1/lev + mmr)), the tiers would put the
// liquidation price of every position above 19x on the wrong side of its entry (at 100x,
// 12.5% of notional is more than the 1% margin), so such positions would be liquidated on
// their first tick.
#pragma once

#include <optional>

#include "domain/decimal.hpp"
#include "domain/side.hpp"

namespace botcore::domain {

// 1-5x 1%, 6-10x 2.5%, 11-20x 5%, 21-50x 10%, 51-100x 12.5%, above 100x 15%.
Decimal maintenance_rate(int leverage);

// notional / leverage, rounded half-even; empty for leverage < 1.
std::optional<Decimal> initial_margin(Decimal notional, int leverage);

// Rounded toward the entry (up for a long, down for a short) so that rounding never lets a
// position lose more than it should before it is liquidated.
std::optional<Decimal> liquidation_price(PositionSide side, Decimal entry, int leverage);

// The mark has reached the liquidation price.
constexpr bool liquidation_reached(PositionSide side, Decimal liquidation, Decimal mark) {
    return side == PositionSide::kLong ? mark <= liquidation : mark >= liquidation;
}

}  // namespace botcore::domain
