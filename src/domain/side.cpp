#include "domain/side.hpp"

namespace botcore::domain {

std::optional<Side> parse_side(std::string_view text) {
    if (text == "buy") {
        return Side::kBuy;
    }
    if (text == "sell") {
        return Side::kSell;
    }
    return std::nullopt;
}

std::optional<PositionSide> parse_position_side(std::string_view text) {
    if (text == "long") {
        return PositionSide::kLong;
    }
    if (text == "short") {
        return PositionSide::kShort;
    }
    return std::nullopt;
}

}  // namespace botcore::domain
