#include "domain/performance.hpp"

#include <algorithm>

#include "domain/decimal_math.hpp"

namespace botcore::domain {

std::expected<Performance, OrderError> performance(std::span<const Trade> trades,
                                                   Decimal initial_balance) {
    std::vector<const Trade*> ordered;
    ordered.reserve(trades.size());
    for (const auto& t : trades) {
        ordered.push_back(&t);
    }
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const Trade* a, const Trade* b) { return a->closed_ms < b->closed_ms; });

    CheckedMath m;
    Performance out;
    Decimal equity = initial_balance;
    Decimal peak = initial_balance;
    for (const Trade* t : ordered) {
        const Decimal result = m.sub(t->realized_pnl, t->fees);
        ++out.total_trades;
        if (result > Decimal{}) {
            ++out.wins;
            out.gross_profit = m.add(out.gross_profit, result);
        } else if (result < Decimal{}) {
            ++out.losses;
            out.gross_loss = m.sub(out.gross_loss, result);
        }
        equity = m.add(equity, result);
        out.equity_curve.push_back(EquityPoint{t->closed_ms, equity});
        peak = std::max(peak, equity);
        const Decimal drawdown = m.sub(peak, equity);
        out.max_drawdown = std::max(out.max_drawdown, drawdown);
        if (peak > Decimal{}) {
            out.max_drawdown_fraction = std::max(out.max_drawdown_fraction, m.div(drawdown, peak));
        }
    }
    out.net_pnl = m.sub(out.gross_profit, out.gross_loss);
    if (out.total_trades > 0) {
        out.win_rate = m.div_int(m.mul_int(Decimal::from_integer(1), out.wins), out.total_trades);
    }
    if (out.gross_loss > Decimal{}) {
        out.profit_factor = m.div(out.gross_profit, out.gross_loss);
    }
    if (m.overflowed()) {
        return std::unexpected(OrderError{OrderErrorCode::kOverflow, "",
                                          "an amount is out of the representable range"});
    }
    return out;
}

}  // namespace botcore::domain
