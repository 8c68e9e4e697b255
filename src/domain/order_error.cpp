#include "domain/order_error.hpp"

namespace botcore::domain {

std::string_view to_string(OrderErrorCode code) {
    switch (code) {
        case OrderErrorCode::kUnknownSymbol:
            return "unknown_symbol";
        case OrderErrorCode::kInvalidQuantity:
            return "invalid_quantity";
        case OrderErrorCode::kInvalidPrice:
            return "invalid_price";
        case OrderErrorCode::kInvalidLeverage:
            return "invalid_leverage";
        case OrderErrorCode::kBelowMinNotional:
            return "below_min_notional";
        case OrderErrorCode::kInsufficientMargin:
            return "insufficient_margin";
        case OrderErrorCode::kReduceOnlyWouldIncrease:
            return "reduce_only_would_increase";
        case OrderErrorCode::kInvalidStopLoss:
            return "invalid_stop_loss";
        case OrderErrorCode::kInvalidTakeProfit:
            return "invalid_take_profit";
        case OrderErrorCode::kInvalidTrailingStop:
            return "invalid_trailing_stop";
        case OrderErrorCode::kOrderNotOpen:
            return "order_not_open";
        case OrderErrorCode::kNoPosition:
            return "no_position";
        case OrderErrorCode::kOverflow:
            return "overflow";
    }
    return "unknown";
}

}  // namespace botcore::domain
