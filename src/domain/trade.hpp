// A closed trade: the (partial) close of a position, with its realized PnL and fees.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/decimal.hpp"
#include "domain/side.hpp"

namespace botcore::domain {

enum class CloseReason { kManual, kStopLoss, kTakeProfit, kTrailingStop, kLiquidation, kBot };

std::string_view to_string(CloseReason reason);
std::optional<CloseReason> parse_close_reason(std::string_view text);

struct Trade {
    std::string id;
    std::string user_id;
    std::string position_id;  // the Position::trade_id it closed (all or part of)
    std::string symbol;
    PositionSide side = PositionSide::kLong;
    Decimal quantity;
    Decimal entry_price;
    Decimal exit_price;
    int leverage = 1;
    // Price PnL before fees; net result = realized_pnl - fees.
    Decimal realized_pnl;
    Decimal fees;    // the closed share of the opening fees plus the closing fee
    Decimal margin;  // isolated margin released by this close: the most it could lose
    CloseReason close_reason = CloseReason::kManual;
    std::int64_t opened_ms = 0;
    std::int64_t closed_ms = 0;

    bool operator==(const Trade&) const = default;
};

}  // namespace botcore::domain
