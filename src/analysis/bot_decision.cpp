#include "analysis/bot_decision.hpp"

#include <algorithm>

#include "domain/decimal_math.hpp"
#include "domain/margin.hpp"
#include "domain/slippage.hpp"

namespace botcore::analysis {
namespace {

using domain::CheckedMath;
using domain::Decimal;
using domain::Rounding;

constexpr Decimal kZero{};
constexpr Decimal kHundred = Decimal::from_integer(100);
constexpr std::int64_t kMinuteMs = 60'000;

// price * (100 - pct) / 100 rounded up to the tick, but strictly below price and positive.
std::optional<Decimal> tick_below(Decimal price, Decimal pct, Decimal tick) {
    CheckedMath m;
    const Decimal share = m.sub(kHundred, pct);
    Decimal target =
        m.round_to_step(m.mul_div(price, share, kHundred, Rounding::kUp), tick, Rounding::kUp);
    if (target >= price) {
        target = m.round_to_step(price, tick, Rounding::kDown);
        if (target >= price) {
            target = m.sub(target, tick);
        }
    }
    if (m.overflowed() || share <= kZero || target <= kZero) {
        return std::nullopt;
    }
    return target;
}

// price * (100 + pct) / 100 rounded down to the tick, but strictly above price.
std::optional<Decimal> tick_above(Decimal price, Decimal pct, Decimal tick) {
    CheckedMath m;
    Decimal target = m.round_to_step(
        m.mul_div(price, m.add(kHundred, pct), kHundred, Rounding::kDown), tick, Rounding::kDown);
    if (target <= price) {
        target = m.round_to_step(price, tick, Rounding::kUp);
        if (target <= price) {
            target = m.add(target, tick);
        }
    }
    if (m.overflowed()) {
        return std::nullopt;
    }
    return target;
}

enum class LossCheck { kOk, kLimitReached, kOverflow };

LossCheck daily_loss(const BotSettings& settings, const BotState& state, Decimal equity,
                     std::int64_t now_ms) {
    if (state.day != utc_day(now_ms) || state.realized_pnl_today >= kZero) {
        return LossCheck::kOk;
    }
    CheckedMath m;
    const Decimal loss = m.neg(state.realized_pnl_today);
    const Decimal start =
        state.start_of_day_equity.value_or(m.sub(equity, state.realized_pnl_today));
    const Decimal limit = m.mul_div(start, settings.daily_loss_limit_pct, kHundred);
    if (m.overflowed()) {
        return LossCheck::kOverflow;
    }
    return loss >= limit ? LossCheck::kLimitReached : LossCheck::kOk;
}

}  // namespace

void roll_day(BotState& state, Decimal equity, std::int64_t now_ms) {
    const auto today = utc_day(now_ms);
    if (today > state.day) {
        state.day = today;
        state.realized_pnl_today = kZero;
        state.start_of_day_equity = equity;
    }
}

void record_trade_result(BotState& state, const BotSettings& settings, Decimal net_pnl,
                         std::int64_t closed_ms) {
    const auto day = utc_day(closed_ms);
    if (day > state.day) {
        state.day = day;
        state.realized_pnl_today = net_pnl;
        state.start_of_day_equity.reset();
    } else if (day == state.day) {
        state.realized_pnl_today = domain::checked_add(state.realized_pnl_today, net_pnl)
                                       .value_or(state.realized_pnl_today);
    }
    if (net_pnl >= kZero) {
        state.consecutive_losses = 0;
        return;
    }
    if (++state.consecutive_losses >= settings.max_consecutive_losses) {
        state.cooldown_until_ms =
            std::max(state.cooldown_until_ms,
                     closed_ms + static_cast<std::int64_t>(settings.cooldown_minutes) * kMinuteMs);
        state.consecutive_losses = 0;
    }
}

std::string_view to_string(SkipReason reason) {
    switch (reason) {
        case SkipReason::kDisabled:
            return "disabled";
        case SkipReason::kSymbolNotEnabled:
            return "symbol_not_enabled";
        case SkipReason::kAlreadyInPosition:
            return "already_in_position";
        case SkipReason::kCooldown:
            return "cooldown";
        case SkipReason::kDailyLossLimit:
            return "daily_loss_limit";
        case SkipReason::kNoSignal:
            return "no_signal";
        case SkipReason::kInvalidInput:
            return "invalid_input";
        case SkipReason::kTooSmall:
            return "too_small";
    }
    return "invalid_input";
}

domain::OrderRequest BotOrder::to_request() const {
    domain::OrderRequest request;
    request.symbol = symbol;
    request.side = side;
    request.type = domain::OrderType::kMarket;
    request.quantity = quantity;
    request.leverage = leverage;
    request.stop_loss = stop_loss;
    request.take_profit = take_profit;
    return request;
}

std::expected<BotOrder, SkipReason> decide(const BotSettings& settings, const BotState& state,
                                           std::string_view symbol, const StrategyVotes& votes,
                                           Decimal equity, Decimal price, std::int64_t now_ms,
                                           const domain::SymbolCatalog& catalog) {
    using std::unexpected;
    if (!settings.enabled) {
        return unexpected(SkipReason::kDisabled);
    }
    const domain::SymbolSpec* spec = catalog.find(symbol);
    if (spec == nullptr || std::find(settings.symbols.begin(), settings.symbols.end(), symbol) ==
                               settings.symbols.end()) {
        return unexpected(SkipReason::kSymbolNotEnabled);
    }
    if (state.has_position(symbol)) {
        return unexpected(SkipReason::kAlreadyInPosition);
    }
    if (now_ms < state.cooldown_until_ms) {
        return unexpected(SkipReason::kCooldown);
    }
    switch (daily_loss(settings, state, equity, now_ms)) {
        case LossCheck::kOk:
            break;
        case LossCheck::kLimitReached:
            return unexpected(SkipReason::kDailyLossLimit);
        case LossCheck::kOverflow:
            return unexpected(SkipReason::kInvalidInput);
    }
    const auto vote = combine_votes(settings.combination_mode, settings.strategies, votes);
    if (vote.direction == Direction::kNeutral) {
        return unexpected(SkipReason::kNoSignal);
    }
    if (price <= kZero) {
        return unexpected(SkipReason::kInvalidInput);
    }
    if (equity <= kZero) {
        return unexpected(SkipReason::kTooSmall);
    }

    const int leverage = std::clamp(settings.leverage, 1, spec->max_leverage);
    CheckedMath m;
    const Decimal margin = m.mul_div(equity, settings.position_size_pct, kHundred, Rounding::kDown);
    const Decimal notional = m.mul_int(margin, leverage);
    const Decimal quantity =
        m.round_to_step(m.div(notional, price, Rounding::kDown), spec->step_size, Rounding::kDown);
    const Decimal order_notional = m.mul(quantity, price);
    if (m.overflowed()) {
        return unexpected(SkipReason::kInvalidInput);
    }
    if (quantity <= kZero || order_notional < spec->min_notional) {
        return unexpected(SkipReason::kTooSmall);
    }

    const bool buy = vote.direction == Direction::kBullish;
    auto stop_loss = buy ? tick_below(price, settings.stop_loss_pct, spec->tick_size)
                         : tick_above(price, settings.stop_loss_pct, spec->tick_size);
    // The settings keep the stop inside the liquidation distance from the price; a fill that
    // slips moves the liquidation price towards the stop. A stop beyond the liquidation price
    // of the worst fill is moved a tick inside it, so the stop still fires first.
    const auto worst_fill = domain::SlippageModel{}.fill_price(
        buy ? domain::Side::kBuy : domain::Side::kSell, price, quantity, spec->tick_size);
    const auto liquidation = worst_fill
                                 ? domain::liquidation_price(buy ? domain::PositionSide::kLong
                                                                 : domain::PositionSide::kShort,
                                                             *worst_fill, leverage)
                                 : std::nullopt;
    if (!liquidation) {
        return unexpected(SkipReason::kInvalidInput);
    }
    if (stop_loss && buy && *stop_loss <= *liquidation) {
        stop_loss =
            m.add(m.round_to_step(*liquidation, spec->tick_size, Rounding::kDown), spec->tick_size);
    } else if (stop_loss && !buy && *stop_loss >= *liquidation) {
        stop_loss =
            m.sub(m.round_to_step(*liquidation, spec->tick_size, Rounding::kUp), spec->tick_size);
    }
    if (m.overflowed() || (stop_loss && (buy ? *stop_loss >= price : *stop_loss <= price))) {
        return unexpected(SkipReason::kInvalidInput);
    }
    const auto take_profit = buy ? tick_above(price, settings.take_profit_pct, spec->tick_size)
                                 : tick_below(price, settings.take_profit_pct, spec->tick_size);
    if (!stop_loss || (buy && !take_profit)) {
        return unexpected(SkipReason::kInvalidInput);
    }
    return BotOrder{spec->name, buy ? domain::Side::kBuy : domain::Side::kSell,
                    quantity,   leverage,
                    *stop_loss, take_profit,
                    vote};
}

}  // namespace botcore::analysis
