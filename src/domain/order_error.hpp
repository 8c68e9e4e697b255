// Why a trading command was refused: a code the API maps to a status, the request field at
// fault and a message for humans.
#pragma once

#include <string>
#include <string_view>

namespace botcore::domain {

enum class OrderErrorCode {
    kUnknownSymbol,
    kInvalidQuantity,  // zero, negative, not a multiple of the step size, too precise
    kInvalidPrice,     // missing, not positive, not a multiple of the tick size
    kInvalidLeverage,  // outside 1..max, or not the position's (else resting orders') leverage
    kBelowMinNotional,
    kInsufficientMargin,
    kReduceOnlyWouldIncrease,  // also: reduce_only with no position to reduce
    kInvalidStopLoss,
    kInvalidTakeProfit,
    kInvalidTrailingStop,
    kOrderNotOpen,  // cancelling an order that is not in the book: filled, cancelled, unknown
    kNoPosition,
    kOverflow,
};

// snake_case name of the code, e.g. "insufficient_margin".
std::string_view to_string(OrderErrorCode code);

struct OrderError {
    OrderErrorCode code;
    std::string field;  // the API field at fault ("quantity", "leverage", ...), or empty
    std::string message;

    bool operator==(const OrderError&) const = default;
};

}  // namespace botcore::domain
