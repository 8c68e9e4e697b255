#include "domain/margin.hpp"

#include "domain/decimal_math.hpp"

namespace botcore::domain {

Decimal maintenance_rate(int leverage) {
    if (leverage <= 5) {
        return Decimal::from_units(1'000'000);  // 1%
    }
    if (leverage <= 10) {
        return Decimal::from_units(2'500'000);  // 2.5%
    }
    if (leverage <= 20) {
        return Decimal::from_units(5'000'000);  // 5%
    }
    if (leverage <= 50) {
        return Decimal::from_units(10'000'000);  // 10%
    }
    if (leverage <= 100) {
        return Decimal::from_units(12'500'000);  // 12.5%
    }
    return Decimal::from_units(15'000'000);  // 15%
}

std::optional<Decimal> initial_margin(Decimal notional, int leverage) {
    if (leverage < 1) {
        return std::nullopt;
    }
    return checked_div_int(notional, leverage);
}

std::optional<Decimal> liquidation_price(PositionSide side, Decimal entry, int leverage) {
    if (leverage < 1 || leverage > 1000) {
        return std::nullopt;
    }
    const Decimal mmr = maintenance_rate(leverage);
    const Decimal lev = Decimal::from_integer(leverage);
    CheckedMath m;
    // long: entry * (lev - 1 + mmr) / lev; short: entry * (lev + 1 - mmr) / lev
    const Decimal factor = side == PositionSide::kLong
                               ? m.add(Decimal::from_integer(leverage - 1), mmr)
                               : m.sub(Decimal::from_integer(leverage + 1), mmr);
    const Decimal price = m.mul_div(entry, factor, lev,
                                    side == PositionSide::kLong ? Rounding::kUp : Rounding::kDown);
    if (m.overflowed()) {
        return std::nullopt;
    }
    return price;
}

}  // namespace botcore::domain
