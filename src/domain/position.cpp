#include "domain/position.hpp"

#include "domain/decimal_math.hpp"

namespace botcore::domain {

std::optional<Decimal> unrealized_pnl(const Position& position, Decimal mark) {
    CheckedMath m;
    const Decimal move = position.side == PositionSide::kLong ? m.sub(mark, position.entry_price)
                                                              : m.sub(position.entry_price, mark);
    const Decimal pnl = m.mul(move, position.quantity);
    if (m.overflowed()) {
        return std::nullopt;
    }
    return pnl;
}

std::optional<Decimal> trailing_stop_price(const Position& position) {
    if (!position.trailing_stop_pct || !position.trailing_anchor) {
        return std::nullopt;
    }
    const Decimal hundred = Decimal::from_integer(100);
    CheckedMath m;
    const Decimal distance = m.mul_div(*position.trailing_anchor, *position.trailing_stop_pct,
                                       hundred, Rounding::kHalfEven);
    const Decimal stop = position.side == PositionSide::kLong
                             ? m.sub(*position.trailing_anchor, distance)
                             : m.add(*position.trailing_anchor, distance);
    if (m.overflowed()) {
        return std::nullopt;
    }
    return stop;
}

}  // namespace botcore::domain
