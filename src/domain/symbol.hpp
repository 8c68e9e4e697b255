// Tradable symbols and their exchange filters: tick size, step size, min notional, max leverage.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "domain/decimal.hpp"

namespace botcore::domain {

inline constexpr int kMaxLeverage = 125;

struct SymbolSpec {
    std::string name;      // "BTCUSDT"
    Decimal tick_size;     // prices are multiples of it
    Decimal step_size;     // quantities are multiples of it
    Decimal min_notional;  // quantity * price of an order, in USDT
    int max_leverage = 1;  // at most kMaxLeverage

    bool operator==(const SymbolSpec&) const = default;
};

class SymbolCatalog {
  public:
    explicit SymbolCatalog(std::vector<SymbolSpec> symbols);

    // The 20 USDT perpetuals we paper-trade, with filters close to Binance futures'.
    static const SymbolCatalog& default_catalog();

    // The symbols of a comma-separated list of names ("BTCUSDT, ETHUSDT"); empty: all of them.
    // An unknown or repeated name is refused, naming it.
    std::expected<SymbolCatalog, std::string> only(std::string_view names) const;

    // nullptr when the symbol is not traded.
    const SymbolSpec* find(std::string_view name) const;
    const std::vector<SymbolSpec>& all() const { return symbols_; }

  private:
    std::vector<SymbolSpec> symbols_;  // sorted by name
};

}  // namespace botcore::domain
