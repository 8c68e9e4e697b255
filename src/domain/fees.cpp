#include "domain/fees.hpp"

#include "domain/decimal_math.hpp"

namespace botcore::domain {

std::string_view to_string(Liquidity liquidity) {
    return liquidity == Liquidity::kMaker ? "maker" : "taker";
}

std::optional<Liquidity> parse_liquidity(std::string_view text) {
    if (text == "maker") {
        return Liquidity::kMaker;
    }
    if (text == "taker") {
        return Liquidity::kTaker;
    }
    return std::nullopt;
}

std::optional<Decimal> FeeModel::fee(Decimal notional, Liquidity liquidity) const {
    return checked_mul(notional, liquidity == Liquidity::kMaker ? maker_rate : taker_rate);
}

}  // namespace botcore::domain
