#include "domain/trade.hpp"

namespace botcore::domain {

std::string_view to_string(CloseReason reason) {
    switch (reason) {
        case CloseReason::kManual:
            return "manual";
        case CloseReason::kStopLoss:
            return "stop_loss";
        case CloseReason::kTakeProfit:
            return "take_profit";
        case CloseReason::kTrailingStop:
            return "trailing_stop";
        case CloseReason::kLiquidation:
            return "liquidation";
        case CloseReason::kBot:
            return "bot";
    }
    return "manual";
}

std::optional<CloseReason> parse_close_reason(std::string_view text) {
    for (const auto reason :
         {CloseReason::kManual, CloseReason::kStopLoss, CloseReason::kTakeProfit,
          CloseReason::kTrailingStop, CloseReason::kLiquidation, CloseReason::kBot}) {
        if (text == to_string(reason)) {
            return reason;
        }
    }
    return std::nullopt;
}

}  // namespace botcore::domain
