// Slippage of taker fills: how much worse than the observed price a market execution gets.
//
// rate = base_rate + rate_per_step * notional / notional_step, capped at max_rate, where
// notional = quantity * market price. The default is 1 bp plus 1 bp per 100,000 USDT, at most
// 50 bp: a 10,000 USDT order slips 1.1 bp, a 1,000,000 USDT order 11 bp. The price moves
// against the taker (up for a buy, down for a sell) and is then rounded to the tick size,
// again against the taker. A maker fill (a resting limit order) has no slippage.
#pragma once

#include <optional>

#include "domain/decimal.hpp"
#include "domain/side.hpp"

namespace botcore::domain {

struct SlippageModel {
    Decimal base_rate = Decimal::from_units(10'000);         // 1 bp
    Decimal rate_per_step = Decimal::from_units(10'000);     // 1 bp ...
    Decimal notional_step = Decimal::from_integer(100'000);  // ... per 100,000 USDT
    Decimal max_rate = Decimal::from_units(500'000);         // 50 bp

    // A model that fills at the observed price (for tests and replays that want exact prices).
    static SlippageModel none() { return SlippageModel{{}, {}, Decimal::from_integer(1), {}}; }

    std::optional<Decimal> rate(Decimal notional) const;
    // The price a taker of `quantity` gets when the market trades at `market_price`.
    std::optional<Decimal> fill_price(Side side, Decimal market_price, Decimal quantity,
                                      Decimal tick_size) const;
};

}  // namespace botcore::domain
