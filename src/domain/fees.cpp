#include "domain/fees.hpp"

#include "domain/decimal_math.hpp"

namespace botcore::domain {

std::optional<Decimal> FeeModel::fee(Decimal notional, Liquidity liquidity) const {
    return checked_mul(notional, liquidity == Liquidity::kMaker ? maker_rate : taker_rate);
}

}  // namespace botcore::domain
