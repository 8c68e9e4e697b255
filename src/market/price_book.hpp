// The last traded price of every symbol, shared by every thread that prices an order, values a
// position or evaluates a trigger.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/decimal.hpp"
#include "domain/portfolio.hpp"
#include "domain/symbol.hpp"

namespace botcore::market {

struct PriceTick {
    domain::Decimal price;
    std::int64_t ts_ms = 0;        // the feed's time (a replay's recorded time)
    std::int64_t received_ms = 0;  // this instance's clock when the price arrived
};

class PriceBook {
  public:
    void set(std::string_view symbol, PriceTick tick);
    std::optional<PriceTick> get(std::string_view symbol) const;
    std::map<std::string, PriceTick, std::less<>> all() const;
    domain::MarkPrices marks() const;

  private:
    mutable std::shared_mutex mutex_;
    std::map<std::string, PriceTick, std::less<>> ticks_;
};

// The symbols among `listed` without a price newer than max_age_ms at now_ms: a feed that
// stopped for them or, in a cluster, symbols the feed leader does not tick.
std::vector<std::string> stale_symbols(const PriceBook& book,
                                       std::span<const domain::SymbolSpec> listed,
                                       std::int64_t now_ms, std::int64_t max_age_ms);

}  // namespace botcore::market
