#include "domain/funding.hpp"

#include "domain/decimal_math.hpp"

namespace botcore::domain {

std::optional<Decimal> funding_payment(PositionSide side, Decimal quantity, Decimal mark,
                                       Decimal rate) {
    CheckedMath m;
    const Decimal amount = m.mul(m.mul(quantity, mark), rate);
    const Decimal paid = side == PositionSide::kLong ? amount : m.neg(amount);
    if (m.overflowed()) {
        return std::nullopt;
    }
    return paid;
}

}  // namespace botcore::domain
