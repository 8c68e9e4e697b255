// Funding: every 8 hours longs pay shorts (or the reverse when the rate is negative) a rate
// times the position's notional at the mark price.
#pragma once

#include <cstdint>
#include <optional>

#include "domain/decimal.hpp"
#include "domain/side.hpp"

namespace botcore::domain {

inline constexpr std::int64_t kFundingPeriodMs = 8LL * 60 * 60 * 1000;       // 28,800,000
inline constexpr Decimal kDefaultFundingRate = Decimal::from_units(10'000);  // 0.01%

// The 8-hour period a time falls in; a position pays at most once per period.
constexpr std::int64_t funding_period(std::int64_t now_ms) {
    return now_ms / kFundingPeriodMs;
}

// What the holder pays: positive is a cost, negative an income. Rounded half-even.
std::optional<Decimal> funding_payment(PositionSide side, Decimal quantity, Decimal mark,
                                       Decimal rate);

}  // namespace botcore::domain
