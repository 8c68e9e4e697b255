#include "domain/order.hpp"

namespace botcore::domain {

std::string_view to_string(OrderType type) {
    switch (type) {
        case OrderType::kMarket:
            return "market";
        case OrderType::kLimit:
            return "limit";
        case OrderType::kStopLimit:
            return "stop_limit";
    }
    return "market";
}

std::string_view to_string(OrderStatus status) {
    switch (status) {
        case OrderStatus::kOpen:
            return "open";
        case OrderStatus::kFilled:
            return "filled";
        case OrderStatus::kCancelled:
            return "cancelled";
    }
    return "open";
}

std::optional<OrderType> parse_order_type(std::string_view text) {
    for (const auto type : {OrderType::kMarket, OrderType::kLimit, OrderType::kStopLimit}) {
        if (text == to_string(type)) {
            return type;
        }
    }
    return std::nullopt;
}

std::optional<OrderStatus> parse_order_status(std::string_view text) {
    for (const auto status : {OrderStatus::kOpen, OrderStatus::kFilled, OrderStatus::kCancelled}) {
        if (text == to_string(status)) {
            return status;
        }
    }
    return std::nullopt;
}

}  // namespace botcore::domain
