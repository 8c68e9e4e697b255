// PgStore's MarketStore and BotStore halves: closed candles in market_data, signals in
// analysis, one bot settings document per user in bot_settings.
#include <algorithm>

#include "adapters/postgres/pg_store.hpp"

namespace botcore::adapters::postgres {

namespace {

constexpr Sql kSaveCandle{
    "save_candle",
    "INSERT INTO market_data (symbol, interval, timestamp, open, high, low, close, volume) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (symbol, interval, timestamp) DO UPDATE "
    "SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, "
    "close = EXCLUDED.close, volume = EXCLUDED.volume"};
constexpr Sql kSaveCandleIfAbsent{
    "save_candle_if_absent",
    "INSERT INTO market_data (symbol, interval, timestamp, open, high, low, close, volume) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (symbol, interval, timestamp) "
    "DO NOTHING"};
constexpr Sql kCandles{
    "candles",
    "SELECT timestamp, open, high, low, close, volume FROM market_data WHERE symbol = $1 "
    "AND interval = $2 AND ($3::bigint IS NULL OR timestamp < $3) "
    "ORDER BY timestamp DESC LIMIT $4"};
constexpr Sql kDeleteCandles{"delete_candles", "DELETE FROM market_data WHERE timestamp < $1"};
constexpr Sql kSaveAnalysis{
    "save_analysis",
    "INSERT INTO analysis (symbol, computed_ms, expires_ms, payload) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (symbol) DO UPDATE SET computed_ms = EXCLUDED.computed_ms, "
    "expires_ms = EXCLUDED.expires_ms, payload = EXCLUDED.payload "
    "WHERE EXCLUDED.computed_ms >= analysis.computed_ms"};
constexpr Sql kFindAnalysis{
    "find_analysis", "SELECT computed_ms, expires_ms, payload FROM analysis WHERE symbol = $1"};
constexpr Sql kHoldBot{"hold_bot",
                       "SELECT user_id, settings, updated_ms FROM bot_settings WHERE user_id = $1 "
                       "FOR UPDATE"};
constexpr Sql kAddBot{"add_bot",
                      "INSERT INTO bot_settings (user_id, settings, updated_ms) "
                      "VALUES ($1, $2, $3) ON CONFLICT (user_id) DO NOTHING"};
constexpr Sql kReplaceBot{"replace_bot",
                          "UPDATE bot_settings SET settings = $2, updated_ms = $3 "
                          "WHERE user_id = $1"};
constexpr Sql kAllBots{"all_bots", "SELECT user_id, settings, updated_ms FROM bot_settings"};
constexpr Sql kFindBot{"find_bot",
                       "SELECT user_id, settings, updated_ms FROM bot_settings WHERE user_id = $1"};
// Announced in the save's transaction, so the instance running the user's bot applies the new
// settings.
constexpr Sql kAnnounceBot{
    "announce_bot", "SELECT pg_notify('botcore_bots_' || to_hex(hashtext(current_schema())), $1)"};

}  // namespace

void PgStore::save_candle(std::string_view symbol, market::Interval interval,
                          const market::Candle& candle, std::function<void(bool stored)> done,
                          CandleSave how) {
    std::vector<Command> commands;
    commands.push_back({how == CandleSave::kReplace ? &kSaveCandle : &kSaveCandleIfAbsent,
                        Params::of(symbol, market::to_string(interval), candle.open_ms,
                                   candle.open.units(), candle.high.units(), candle.low.units(),
                                   candle.close.units(), candle.volume.units())});
    committer_for(symbol).submit(std::move(commands),
                                 [done = std::move(done)](std::exception_ptr error) {
                                     if (done) {
                                         done(error == nullptr);
                                     }
                                 });
}

std::vector<market::Candle> PgStore::candles(std::string_view symbol, market::Interval interval,
                                             std::optional<std::int64_t> end_ms, int limit) {
    auto connection = router_->acquire(settings_.analytics);
    const auto r =
        connection->run(kCandles, Params::of(symbol, market::to_string(interval), end_ms, limit));
    std::vector<market::Candle> out;
    for (int i = r.rows() - 1; i >= 0; --i) {
        const auto units = [&r, i](int column) {
            return domain::Decimal::from_units(r.integer(i, column));
        };
        out.push_back({r.integer(i, 0), units(1), units(2), units(3), units(4), units(5), true});
    }
    return out;
}

std::int64_t PgStore::delete_candles_before(std::int64_t cutoff_ms) {
    auto connection = primary_.acquire();
    return connection->run(kDeleteCandles, Params::of(cutoff_ms)).affected();
}

void PgStore::save_analysis(std::string_view symbol, StoredAnalysis analysis) {
    std::vector<Command> commands;
    commands.push_back({&kSaveAnalysis, Params::of(symbol, analysis.computed_ms,
                                                   analysis.expires_ms, analysis.body)});
    committer_for(symbol).submit(std::move(commands), [](std::exception_ptr) {});
}

std::optional<ports::MarketStore::StoredAnalysis> PgStore::find_analysis(std::string_view symbol) {
    auto connection = router_->acquire(settings_.analytics);
    const auto r = connection->run(kFindAnalysis, Params::of(symbol));
    if (r.rows() == 0) {
        return std::nullopt;
    }
    return StoredAnalysis{r.integer(0, 0), r.integer(0, 1), r.text(0, 2)};
}

void PgStore::change_bot(
    const std::string& user_id,
    std::function<std::optional<ports::StoredBot>(const std::optional<ports::StoredBot>& stored)>
        change,
    std::function<void(std::exception_ptr)> done) {
    // A transaction of its own, not a group-commit batch: its NOTIFY would make the whole batch
    // take turns with every other notifying transaction (docs/ARCHITECTURE.md, book_changes).
    std::exception_ptr error;
    try {
        auto connection = primary_.acquire();
        // The row lock orders changes of stored settings; a user's first settings are added
        // only if no other change added them meanwhile, else the change starts over on those.
        for (int attempt = 0;; ++attempt) {
            Transaction tx(*connection);
            // A request waits this long at most behind another change of the user's settings,
            // then is told to retry (503).
            connection->exec("SET LOCAL lock_timeout = '5s'");
            const auto held = connection->run(kHoldBot, Params::of(user_id));
            std::optional<ports::StoredBot> stored;
            if (held.rows() > 0) {
                stored = ports::StoredBot{held.text(0, 0), held.text(0, 1), held.integer(0, 2)};
            }
            const auto bot = change(stored);
            if (!bot) {
                break;
            }
            const auto params = Params::of(user_id, bot->settings_json, bot->updated_ms);
            if (connection->run(stored ? kReplaceBot : kAddBot, params).affected() == 0) {
                if (attempt < 3) {
                    continue;
                }
                throw ports::StoreUnavailable("the bot settings kept changing during the save");
            }
            connection->run(kAnnounceBot, Params::of(instance_tag_ + ":" + user_id));
            tx.commit();
            break;
        }
    } catch (const ports::StoreUnavailable&) {
        error = std::current_exception();
    }
    done(error);
}

std::optional<ports::StoredBot> PgStore::find_bot(std::string_view user_id) {
    auto connection = primary_.acquire();
    const auto r = connection->run(kFindBot, Params::of(user_id));
    if (r.rows() == 0) {
        return std::nullopt;
    }
    return ports::StoredBot{r.text(0, 0), r.text(0, 1), r.integer(0, 2)};
}

std::vector<ports::StoredBot> PgStore::all_bots() {
    auto connection = primary_.acquire();
    const auto r = connection->run(kAllBots);
    std::vector<ports::StoredBot> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back({r.text(i, 0), r.text(i, 1), r.integer(i, 2)});
    }
    return out;
}

}  // namespace botcore::adapters::postgres
