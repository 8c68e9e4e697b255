// Orders: what a trader asks for (OrderRequest), the order as it lives (Order) and each
// execution of it (Fill).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/decimal.hpp"
#include "domain/fees.hpp"
#include "domain/side.hpp"

namespace botcore::domain {

enum class OrderType { kMarket, kLimit, kStopLimit };
// A stop-limit waiting for its stop price is kOpen with triggered == false.
enum class OrderStatus { kOpen, kFilled, kCancelled };

std::string_view to_string(OrderType type);
std::string_view to_string(OrderStatus status);
std::optional<OrderType> parse_order_type(std::string_view text);
std::optional<OrderStatus> parse_order_status(std::string_view text);

struct OrderRequest {
    std::optional<std::string> client_order_id;
    std::string symbol;
    Side side = Side::kBuy;
    OrderType type = OrderType::kMarket;
    Decimal quantity;
    std::optional<Decimal> price;       // limit and stop_limit
    std::optional<Decimal> stop_price;  // stop_limit
    std::optional<int> leverage;        // default: the symbol's (position's, else resting
                                        // orders'), else 1
    bool reduce_only = false;
    // Protection for the position the order opens or adds to.
    std::optional<Decimal> stop_loss;
    std::optional<Decimal> take_profit;
    std::optional<Decimal> trailing_stop_pct;  // percent, in (0, 50]
};

struct Order {
    std::string id;
    std::string user_id;
    std::optional<std::string> client_order_id;
    std::string symbol;
    Side side = Side::kBuy;
    OrderType type = OrderType::kMarket;
    OrderStatus status = OrderStatus::kOpen;
    Decimal quantity;
    std::optional<Decimal> price;
    std::optional<Decimal> stop_price;
    int leverage = 1;
    bool reduce_only = false;
    bool triggered = false;  // a stop_limit whose stop price has traded
    Decimal filled_quantity;
    std::optional<Decimal> average_price;
    Decimal fees;
    std::optional<Decimal> stop_loss;
    std::optional<Decimal> take_profit;
    std::optional<Decimal> trailing_stop_pct;
    // Margin plus fee held back from free margin while the order rests.
    Decimal reserved_margin;
    std::int64_t created_ms = 0;
    std::int64_t updated_ms = 0;

    bool operator==(const Order&) const = default;
};

struct Fill {
    std::string order_id;  // empty for closes that no order caused (triggers, manual close)
    std::string symbol;
    Side side = Side::kBuy;
    Decimal quantity;
    Decimal price;
    Decimal fee;
    Liquidity liquidity = Liquidity::kTaker;
    std::int64_t time_ms = 0;

    bool operator==(const Fill&) const = default;
};

}  // namespace botcore::domain
