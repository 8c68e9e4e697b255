// What one user's bot does when a candle of its timeframe closes: open a position in a symbol, or
// nothing and why. The strategy votes were computed once for every user; deciding only combines
// them and sizes the order, so it is cheap enough for thousands of users per close.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "analysis/bot_settings.hpp"
#include "analysis/strategy_votes.hpp"
#include "analysis/vote_combination.hpp"
#include "domain/decimal.hpp"
#include "domain/order.hpp"
#include "domain/side.hpp"
#include "domain/symbol.hpp"

namespace botcore::analysis {

inline constexpr std::int64_t kDayMs = 86'400'000;

// Days since the Unix epoch of a UTC timestamp (rounded down, also before 1970).
constexpr std::int64_t utc_day(std::int64_t ms) {
    return ms / kDayMs - (ms % kDayMs < 0 ? 1 : 0);
}

// A bot's running risk state, kept per user.
struct BotState {
    // Symbols the user holds a position in (from the portfolio, bot-opened or not): the bot opens
    // at most one position per symbol.
    std::set<std::string, std::less<>> open_positions;
    std::int64_t day = 0;                // utc_day the daily figures below refer to
    domain::Decimal realized_pnl_today;  // net results recorded on `day`
    // Equity when `day` began. Empty when not known: the daily limit then takes the equity passed
    // to decide minus realized_pnl_today.
    std::optional<domain::Decimal> start_of_day_equity;
    int consecutive_losses = 0;
    std::int64_t cooldown_until_ms = 0;  // no new position before this time

    bool has_position(std::string_view symbol) const { return open_positions.contains(symbol); }
    bool operator==(const BotState&) const = default;
};

// Starts a new UTC day when now_ms is past state.day: today's PnL back to 0 and equity as the day's
// starting equity. Nothing happens within the same day.
void roll_day(BotState& state, domain::Decimal equity, std::int64_t now_ms);

// Records a closed trade's net result (realized PnL minus fees; the caller decides). The daily PnL
// restarts on a new UTC day (start_of_day_equity then becomes unknown) and ignores a trade of an
// earlier day. A loss (< 0) counts a consecutive loss; the settings.max_consecutive_losses-th
// starts a cooldown of cooldown_minutes from closed_ms and resets the count. A result >= 0 resets
// it.
void record_trade_result(BotState& state, const BotSettings& settings, domain::Decimal net_pnl,
                         std::int64_t closed_ms);

// Why decide opened nothing, in the order it checks.
enum class SkipReason {
    kDisabled,
    kSymbolNotEnabled,  // not in the settings (or not in the catalog)
    kAlreadyInPosition,
    kCooldown,
    kDailyLossLimit,
    kNoSignal,      // the combined vote is neutral
    kInvalidInput,  // price not positive, no valid stop-loss price, overflow
    kTooSmall,      // equity not positive, or the quantity is 0 or below the min notional
};
std::string_view to_string(SkipReason reason);  // snake_case: "daily_loss_limit", ...

struct BotOrder {
    std::string symbol;
    domain::Side side = domain::Side::kBuy;  // buy on a bullish vote, sell on a bearish one
    // equity * position_size_pct / 100 * leverage / price, rounded down to the step size.
    domain::Decimal quantity;
    int leverage = 1;  // the settings' leverage, capped at the symbol's max
    // price -/+ the percentages, rounded to the tick toward the price (the loss never exceeds
    // stop_loss_pct), and always strictly on the losing / winning side of the price.
    domain::Decimal stop_loss;
    // Empty for a short when take_profit_pct >= 100: there is no positive price to take it at.
    std::optional<domain::Decimal> take_profit;
    CombinedVote vote;

    // A market order carrying the protection.
    domain::OrderRequest to_request() const;
    bool operator==(const BotOrder&) const = default;
};

// votes: the strategy votes of settings.timeframe for symbol; price: the latest trade price. A
// daily loss counts when -realized_pnl_today >= daily_loss_limit_pct of the day's starting equity
// (on the UTC day of now_ms).
std::expected<BotOrder, SkipReason> decide(
    const BotSettings& settings, const BotState& state, std::string_view symbol,
    const StrategyVotes& votes, domain::Decimal equity, domain::Decimal price, std::int64_t now_ms,
    const domain::SymbolCatalog& catalog = domain::SymbolCatalog::default_catalog());

}  // namespace botcore::analysis
