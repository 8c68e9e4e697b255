#include "domain/slippage.hpp"

#include <algorithm>

#include "domain/decimal_math.hpp"

namespace botcore::domain {

std::optional<Decimal> SlippageModel::rate(Decimal notional) const {
    CheckedMath m;
    const Decimal size_part =
        m.mul_div(notional < Decimal{} ? m.neg(notional) : notional, rate_per_step, notional_step);
    const Decimal total = std::min(m.add(base_rate, size_part), max_rate);
    if (m.overflowed()) {
        return std::nullopt;
    }
    return std::max(total, Decimal{});
}

std::optional<Decimal> SlippageModel::fill_price(Side side, Decimal market_price, Decimal quantity,
                                                 Decimal tick_size) const {
    CheckedMath m;
    const auto slip_rate = rate(m.mul(quantity, market_price));
    if (!slip_rate) {
        return std::nullopt;
    }
    const Decimal move = m.mul(market_price, *slip_rate, Rounding::kUp);
    Decimal price;
    if (side == Side::kBuy) {
        price = m.round_to_step(m.add(market_price, move), tick_size, Rounding::kUp);
    } else {
        price = m.round_to_step(m.sub(market_price, move), tick_size, Rounding::kDown);
        // A price of one tick cannot slip below itself to zero.
        if (price <= Decimal{}) {
            price = std::min(market_price, tick_size);
        }
    }
    if (m.overflowed()) {
        return std::nullopt;
    }
    return price;
}

}  // namespace botcore::domain
