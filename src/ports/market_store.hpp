// Durable market data: closed candles per (symbol, interval), kept 7 days by the retention job,
// and the last analysis signal per symbol (shared by every instance on the same store).
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
    // Whether a candle replaces the one stored for its interval or only fills a gap (a candle
    // built from part of its interval, e.g. after a start, must not replace a whole one).
    enum class CandleSave { kReplace, kIfAbsent };
    // Stored with other writes (group commit). done (optional) runs once the write has
    // committed (true) or failed (false).
    virtual void save_candle(std::string_view symbol, market::Interval interval,
                             const market::Candle& candle,
                             std::function<void(bool stored)> done = {},
                             CandleSave how = CandleSave::kReplace) = 0;
    // Closed candles opening before end_ms (all when nullopt), the newest `limit`, oldest first.
    virtual std::vector<market::Candle> candles(std::string_view symbol, market::Interval interval,
                                                std::optional<std::int64_t> end_ms, int limit) = 0;
    // Deletes candles that opened before cutoff_ms; returns how many.
    virtual std::int64_t delete_candles_before(std::int64_t cutoff_ms) = 0;

    struct StoredAnalysis {
        std::int64_t computed_ms = 0;
        std::int64_t expires_ms = 0;  // served from the store until then
        std::string body;             // the API's JSON document
    };
    // Replaces the symbol's stored signal (group commit).
    virtual void save_analysis(std::string_view symbol, StoredAnalysis analysis) = 0;
    virtual std::optional<StoredAnalysis> find_analysis(std::string_view symbol) = 0;
};

}  // namespace botcore::ports
