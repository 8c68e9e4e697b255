// Durable market data: closed candles per (symbol, interval), kept 7 days by the retention job.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "market/candles.hpp"

namespace botcore::ports {

class MarketStore {
  public:
    virtual ~MarketStore() = default;
    // Stored with other writes (group commit); a candle stored twice keeps the last version.
    // done (optional) runs once it is committed.
    virtual void save_candle(std::string_view symbol, market::Interval interval,
                             const market::Candle& candle, std::function<void()> done = {}) = 0;
    // Closed candles opening before end_ms (all when nullopt), the newest `limit`, oldest first.
    virtual std::vector<market::Candle> candles(std::string_view symbol, market::Interval interval,
                                                std::optional<std::int64_t> end_ms, int limit) = 0;
    // Deletes candles that opened before cutoff_ms; returns how many.
    virtual std::int64_t delete_candles_before(std::int64_t cutoff_ms) = 0;
};

}  // namespace botcore::ports
