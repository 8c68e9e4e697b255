// A user's trading bot settings, their defaults and their validation.
#pragma once

#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/strategy_votes.hpp"
#include "analysis/vote_combination.hpp"
#include "domain/decimal.hpp"
#include "domain/symbol.hpp"
#include "market/candles.hpp"

namespace botcore::analysis {

inline constexpr std::size_t kMaxBotSymbols = 20;
inline constexpr int kMaxConsecutiveLossesLimit = 100;
inline constexpr int kMaxCooldownMinutes = 7 * 24 * 60;

struct BotSettings {
    bool enabled = false;
    std::vector<std::string> symbols{"BTCUSDT"};  // catalog names, 1..20, no duplicates
    StrategySet strategies = StrategySet::all();  // at least one
    CombinationMode combination_mode = CombinationMode::kConsensus;
    market::Interval timeframe = market::Interval::k15m;  // 5m, 15m or 1h
    // 1..the smallest max leverage of the symbols.
    int leverage = 3;
    // Percentages are Decimals, as in 5 for 5%.
    // Share of equity used as margin: 0 < x <= 100.
    domain::Decimal position_size_pct = domain::Decimal::from_integer(5);
    // 0 < x <= 50, and below the price move that liquidates at this leverage, or the stop would
    // never fire.
    domain::Decimal stop_loss_pct = domain::Decimal::from_integer(2);
    domain::Decimal take_profit_pct = domain::Decimal::from_integer(4);  // 0 < x <= 500
    // 0 < x <= 100: no new position once today's (UTC) realized loss reaches this share of the
    // day's starting equity.
    domain::Decimal daily_loss_limit_pct = domain::Decimal::from_integer(3);
    // This many (1..100) losing trades in a row pause the bot for cooldown_minutes (1..10080).
    int max_consecutive_losses = 3;
    int cooldown_minutes = 60;

    bool operator==(const BotSettings&) const = default;
};

// Valid as they are: disabled, BTCUSDT, all five strategies, consensus, 15m, 3x, 5% of equity, stop
// loss 2%, take profit 4%, daily loss limit 3%, 3 losses -> 60 minute pause.
BotSettings defaults();

struct SettingsError {
    std::string field;  // the settings field at fault, named as in the API: "leverage", ...
    std::string message;
    bool operator==(const SettingsError&) const = default;
};

// Checks the fields in declaration order and reports the first invalid one.
std::expected<void, SettingsError> validate(
    const BotSettings& settings,
    const domain::SymbolCatalog& catalog = domain::SymbolCatalog::default_catalog());

// Strategy names ("rsi", "macd", ...) to a set; an unknown or repeated name is an error on the
// field "strategies".
std::expected<StrategySet, SettingsError> parse_strategies(std::span<const std::string_view> names);

}  // namespace botcore::analysis
