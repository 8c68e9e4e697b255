// An open position: one per (user, symbol), long or short, with its isolated margin and
// protective triggers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "domain/decimal.hpp"
#include "domain/side.hpp"

namespace botcore::domain {

struct Position {
    std::string user_id;
    std::string symbol;
    PositionSide side = PositionSide::kLong;
    Decimal quantity;
    Decimal entry_price;  // quantity-weighted average of the fills that opened it
    int leverage = 1;
    Decimal margin;  // isolated margin: entry notional / leverage
    std::optional<Decimal> stop_loss;
    std::optional<Decimal> take_profit;
    std::optional<Decimal> trailing_stop_pct;
    // Best price seen since the trailing stop was set: the stop sits trailing_stop_pct below
    // it for a long (above for a short), and it only ever moves in the position's favour.
    std::optional<Decimal> trailing_anchor;
    std::int64_t opened_ms = 0;
    std::int64_t updated_ms = 0;
    std::string trade_id;  // identifies this position's life; its closing trades carry it
    Decimal open_fees;     // fees of the opening fills not yet attributed to a closing trade
    std::int64_t last_funding_period = 0;

    bool operator==(const Position&) const = default;
};

// (mark - entry) * quantity for a long, the opposite for a short.
std::optional<Decimal> unrealized_pnl(const Position& position, Decimal mark);

// Where the trailing stop fires, if one is set.
std::optional<Decimal> trailing_stop_price(const Position& position);

}  // namespace botcore::domain
