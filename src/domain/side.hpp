// Order sides (buy/sell) and position sides (long/short), with their contract names.
#pragma once

#include <optional>
#include <string_view>

namespace botcore::domain {

enum class Side { kBuy, kSell };
enum class PositionSide { kLong, kShort };

constexpr PositionSide position_side_of(Side side) {
    return side == Side::kBuy ? PositionSide::kLong : PositionSide::kShort;
}
// The order side that closes a position.
constexpr Side closing_side(PositionSide side) {
    return side == PositionSide::kLong ? Side::kSell : Side::kBuy;
}

constexpr std::string_view to_string(Side side) {
    return side == Side::kBuy ? "buy" : "sell";
}
constexpr std::string_view to_string(PositionSide side) {
    return side == PositionSide::kLong ? "long" : "short";
}
std::optional<Side> parse_side(std::string_view text);
std::optional<PositionSide> parse_position_side(std::string_view text);

}  // namespace botcore::domain
