// Trading fees: a maker and a taker rate applied to the notional of each fill.
#pragma once

#include <optional>
#include <string_view>

#include "domain/decimal.hpp"

namespace botcore::domain {

// Maker: a resting order filled by the market. Taker: an order that executed against it.
enum class Liquidity { kMaker, kTaker };
std::string_view to_string(Liquidity liquidity);
std::optional<Liquidity> parse_liquidity(std::string_view text);

struct FeeModel {
    static constexpr Decimal kDefaultMakerRate = Decimal::from_units(20'000);  // 0.02%
    static constexpr Decimal kDefaultTakerRate = Decimal::from_units(40'000);  // 0.04%

    Decimal maker_rate = kDefaultMakerRate;
    Decimal taker_rate = kDefaultTakerRate;

    // notional * rate, rounded half-even to 1e-8 USDT.
    std::optional<Decimal> fee(Decimal notional, Liquidity liquidity) const;
};

}  // namespace botcore::domain
