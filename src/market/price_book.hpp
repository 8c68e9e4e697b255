// The last traded price of every symbol, shared by every thread that prices an order, values a
// position or evaluates a trigger.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "domain/decimal.hpp"
#include "domain/portfolio.hpp"

namespace botcore::market {

struct PriceTick {
    domain::Decimal price;
    std::int64_t ts_ms = 0;
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

}  // namespace botcore::market
