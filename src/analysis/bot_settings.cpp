#include "analysis/bot_settings.hpp"

#include <algorithm>
#include <string>

#include "domain/decimal_math.hpp"
#include "domain/margin.hpp"

namespace botcore::analysis {
namespace {

using domain::Decimal;

constexpr Decimal kZero{};
constexpr Decimal kHundred = Decimal::from_integer(100);
constexpr Decimal kMaxStopLossPct = Decimal::from_integer(50);
constexpr Decimal kMaxTakeProfitPct = Decimal::from_integer(500);

std::unexpected<SettingsError> fail(std::string_view field, std::string message) {
    return std::unexpected(SettingsError{std::string(field), std::move(message)});
}

// 0 < value <= max
bool in_pct_range(Decimal value, Decimal max) {
    return value > kZero && value <= max;
}

std::expected<void, SettingsError> validate_symbols(const std::vector<std::string>& symbols,
                                                    const domain::SymbolCatalog& catalog) {
    if (symbols.empty() || symbols.size() > kMaxBotSymbols) {
        return fail("symbols",
                    "symbols must list 1 to " + std::to_string(kMaxBotSymbols) + " symbols");
    }
    for (auto it = symbols.begin(); it != symbols.end(); ++it) {
        if (catalog.find(*it) == nullptr) {
            return fail("symbols", "unknown symbol '" + *it + "'");
        }
        if (std::find(symbols.begin(), it, *it) != it) {
            return fail("symbols", "symbol '" + *it + "' is listed twice");
        }
    }
    return {};
}

// The most the price can move against a position at this leverage before it is liquidated, in
// percent: 100 * (1 - maintenance rate) / leverage.
std::optional<Decimal> liquidation_distance_pct(int leverage) {
    domain::CheckedMath m;
    const Decimal keep = m.sub(Decimal::from_integer(1), domain::maintenance_rate(leverage));
    const Decimal pct = m.div_int(m.mul(keep, kHundred), leverage, domain::Rounding::kDown);
    return m.overflowed() ? std::nullopt : std::optional<Decimal>(pct);
}

}  // namespace

BotSettings defaults() {
    return BotSettings{};
}

std::expected<void, SettingsError> validate(const BotSettings& s,
                                            const domain::SymbolCatalog& catalog) {
    if (auto ok = validate_symbols(s.symbols, catalog); !ok) {
        return ok;
    }
    if (s.strategies.empty()) {
        return fail("strategies", "at least one strategy must be enabled");
    }
    if (!parse_combination_mode(to_string(s.combination_mode))) {
        return fail("combination_mode", "unknown combination mode");
    }
    if (s.timeframe != market::Interval::k5m && s.timeframe != market::Interval::k15m &&
        s.timeframe != market::Interval::k1h) {
        return fail("timeframe", "timeframe must be 5m, 15m or 1h");
    }
    int max_leverage = domain::kMaxLeverage;
    for (const auto& name : s.symbols) {
        max_leverage = std::min(max_leverage, catalog.find(name)->max_leverage);
    }
    if (s.leverage < 1 || s.leverage > max_leverage) {
        return fail("leverage", "leverage must be between 1 and " + std::to_string(max_leverage) +
                                    ", the lowest max leverage of the symbols");
    }
    if (!in_pct_range(s.position_size_pct, kHundred)) {
        return fail("position_size_pct",
                    "position_size_pct must be greater than 0 and at most 100");
    }
    if (!in_pct_range(s.stop_loss_pct, kMaxStopLossPct)) {
        return fail("stop_loss_pct", "stop_loss_pct must be greater than 0 and at most 50");
    }
    if (const auto distance = liquidation_distance_pct(s.leverage);
        !distance || s.stop_loss_pct >= *distance) {
        return fail("stop_loss_pct", "stop_loss_pct must be below " +
                                         (distance ? distance->to_string() : "?") +
                                         ", where a position at " + std::to_string(s.leverage) +
                                         "x leverage is liquidated");
    }
    if (!in_pct_range(s.take_profit_pct, kMaxTakeProfitPct)) {
        return fail("take_profit_pct", "take_profit_pct must be greater than 0 and at most 500");
    }
    if (!in_pct_range(s.daily_loss_limit_pct, kHundred)) {
        return fail("daily_loss_limit_pct",
                    "daily_loss_limit_pct must be greater than 0 and at most 100");
    }
    if (s.max_consecutive_losses < 1 || s.max_consecutive_losses > kMaxConsecutiveLossesLimit) {
        return fail("max_consecutive_losses", "max_consecutive_losses must be between 1 and " +
                                                  std::to_string(kMaxConsecutiveLossesLimit));
    }
    if (s.cooldown_minutes < 1 || s.cooldown_minutes > kMaxCooldownMinutes) {
        return fail("cooldown_minutes", "cooldown_minutes must be between 1 and " +
                                            std::to_string(kMaxCooldownMinutes));
    }
    return {};
}

std::expected<StrategySet, SettingsError> parse_strategies(
    std::span<const std::string_view> names) {
    StrategySet set;
    for (const auto name : names) {
        const auto strategy = parse_strategy(name);
        if (!strategy) {
            return fail("strategies", "unknown strategy '" + std::string(name) +
                                          "' (rsi, macd, bollinger, stochastic, volume)");
        }
        if (set.contains(*strategy)) {
            return fail("strategies", "strategy '" + std::string(name) + "' is listed twice");
        }
        set.insert(*strategy);
    }
    if (set.empty()) {
        return fail("strategies", "at least one strategy must be enabled");
    }
    return set;
}

}  // namespace botcore::analysis
