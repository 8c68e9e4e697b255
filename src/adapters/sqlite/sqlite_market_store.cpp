// SqliteStore's MarketStore half: closed candles in market_data, signals in analysis.
#include <fmt/format.h>

#include "adapters/sqlite/sqlite_store.hpp"

namespace botcore::adapters::sqlite {

void SqliteStore::save_candle(std::string_view symbol, market::Interval interval,
                              const market::Candle& candle, std::function<void(bool stored)> done,
                              CandleSave how) {
    committer_->submit(
        [symbol = std::string(symbol), interval, candle, how](Connection& c) {
            c.prepare(how == CandleSave::kReplace
                          ? "INSERT OR REPLACE INTO market_data (symbol, interval, timestamp, "
                            "open, high, low, close, volume) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                          : "INSERT OR IGNORE INTO market_data (symbol, interval, timestamp, "
                            "open, high, low, close, volume) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                .bind_all(symbol, market::to_string(interval), candle.open_ms, candle.open.units(),
                          candle.high.units(), candle.low.units(), candle.close.units(),
                          candle.volume.units())
                .step();
        },
        [done = std::move(done)](std::exception_ptr error) {
            if (done) {
                done(error == nullptr);
            }
        });
}

std::vector<market::Candle> SqliteStore::candles(std::string_view symbol, market::Interval interval,
                                                 std::optional<std::int64_t> end_ms, int limit) {
    auto connection = reader();
    auto s = connection->prepare(
        "SELECT timestamp, open, high, low, close, volume FROM market_data WHERE symbol = ?1 "
        "AND interval = ?2 AND (?3 IS NULL OR timestamp < ?3) ORDER BY timestamp DESC LIMIT ?4");
    s.bind(1, symbol).bind(2, market::to_string(interval));
    if (end_ms) {
        s.bind(3, *end_ms);
    } else {
        s.bind_null(3);
    }
    s.bind(4, limit);
    std::vector<market::Candle> out;
    while (s.step()) {
        const auto units = [&s](int column) {
            return domain::Decimal::from_units(s.integer(column));
        };
        out.push_back({s.integer(0), units(1), units(2), units(3), units(4), units(5), true});
    }
    std::reverse(out.begin(), out.end());
    return out;
}

std::int64_t SqliteStore::delete_candles_before(std::int64_t cutoff_ms) {
    std::lock_guard lock(writer_mutex_);
    writer_->prepare("DELETE FROM market_data WHERE timestamp < ?").bind_all(cutoff_ms).step();
    return sqlite3_changes64(writer_->handle());
}

void SqliteStore::save_analysis(std::string_view symbol, StoredAnalysis analysis) {
    committer_->submit(
        [symbol = std::string(symbol), analysis = std::move(analysis)](Connection& c) {
            c.prepare(
                 "INSERT INTO analysis (symbol, computed_ms, expires_ms, payload) "
                 "VALUES (?, ?, ?, ?) ON CONFLICT (symbol) DO UPDATE SET "
                 "computed_ms = excluded.computed_ms, expires_ms = excluded.expires_ms, "
                 "payload = excluded.payload WHERE excluded.computed_ms >= analysis.computed_ms")
                .bind_all(std::string_view(symbol), analysis.computed_ms, analysis.expires_ms,
                          std::string_view(analysis.body))
                .step();
        },
        [](std::exception_ptr) {});
}

std::optional<ports::MarketStore::StoredAnalysis> SqliteStore::find_analysis(
    std::string_view symbol) {
    auto connection = reader();
    auto s = connection->prepare(
        "SELECT computed_ms, expires_ms, payload FROM analysis WHERE symbol = ?");
    s.bind(1, symbol);
    if (!s.step()) {
        return std::nullopt;
    }
    return StoredAnalysis{s.integer(0), s.integer(1), s.text(2)};
}

}  // namespace botcore::adapters::sqlite
