// Portfolio performance from closed trades: win rate, profit factor, drawdown, equity curve.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <vector>

#include "domain/decimal.hpp"
#include "domain/order_error.hpp"
#include "domain/trade.hpp"

namespace botcore::domain {

struct EquityPoint {
    std::int64_t time_ms = 0;
    Decimal equity;

    bool operator==(const EquityPoint&) const = default;
};

// A trade's result is net of its fees (realized_pnl - fees): a win above zero, a loss below,
// a break-even neither.
struct Performance {
    int total_trades = 0;
    int wins = 0;
    int losses = 0;
    std::optional<Decimal> win_rate;        // wins / closed trades; none without trades
    Decimal gross_profit;                   // sum of winning results
    Decimal gross_loss;                     // sum of losing results, as a positive amount
    Decimal net_pnl;                        // gross_profit - gross_loss
    std::optional<Decimal> profit_factor;   // gross_profit / gross_loss; none without losses
    Decimal max_drawdown;                   // largest fall of equity from a previous peak
    Decimal max_drawdown_fraction;          // largest such fall relative to its peak
    std::vector<EquityPoint> equity_curve;  // equity after each trade, by closed_ms

    bool operator==(const Performance&) const = default;
};

// The curve starts from initial_balance; trades are taken in closed_ms order.
std::expected<Performance, OrderError> performance(std::span<const Trade> trades,
                                                   Decimal initial_balance);

}  // namespace botcore::domain
