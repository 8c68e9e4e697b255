// Users' strategy bots. The strategy votes of a (symbol, timeframe) are computed once when its
// candle closes; each enabled bot on that pair then only combines them with its own settings and
// risk state, and its orders go through the trading service like a human's. A bot closes the
// positions it opened when the combined vote turns against them (close reason "bot").
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "analysis/bot_decision.hpp"
#include "analysis/bot_settings.hpp"
#include "engine/trading_service.hpp"

namespace botcore::engine {

class BotService {
  public:
    explicit BotService(TradingService& trading) : trading_(trading) {}

    // Installs (or replaces) a user's validated settings, saved at `revision`
    // (ports::StoredBot::updated_ms). Settings older than those installed are ignored: saves
    // answered, or announced, out of order leave the newest in place.
    void set(const std::string& user_id, analysis::BotSettings settings, std::int64_t revision);
    std::optional<analysis::BotSettings> settings(const std::string& user_id) const;
    bool has_bot(const std::string& user_id) const;
    // Users whose bot is enabled here.
    std::size_t enabled_count() const;

    // The candle of (symbol, interval) opened at candle_open_ms closed and its votes were
    // computed: every enabled bot on that pair decides. Returns the number of bots evaluated.
    std::size_t on_votes(const std::string& symbol, market::Interval interval,
                         std::int64_t candle_open_ms, const analysis::StrategyVotes& votes,
                         domain::Decimal price, std::int64_t now_ms);
    // A user's trades were committed here: bots count their results (losing streaks, daily
    // loss).
    void on_trades(const std::string& user_id, const std::vector<domain::Trade>& trades);
    // Another instance changed the user's book (empty: every book), so trades may have closed
    // there: the bot reads them before its next decision.
    void changed_elsewhere(const std::string& user_id);

    struct Stats {
        std::atomic<std::uint64_t> evaluations{0};
        std::atomic<std::uint64_t> orders{0};
        std::atomic<std::uint64_t> closes{0};
        std::atomic<std::uint64_t> rejected{0};
    };
    const Stats& stats() const { return stats_; }

  private:
    struct Bot {
        analysis::BotSettings settings;
        std::int64_t revision = 0;
        analysis::BotState state;
        std::set<std::string, std::less<>> opened;  // symbols whose position the bot opened
        // Symbols with a bot order not committed yet: holdings do not show it, so the bot must
        // not decide again on that symbol until it is.
        std::set<std::string, std::less<>> in_flight;
        // Trades closed before this are history (see set()).
        std::int64_t counting_since_ms = 0;
        // The newest trade counted (closed_ms), and the trades counted (id -> closed_ms) that
        // catch_up may read again, so that a trade both reported here and read back from the
        // store counts once.
        std::int64_t counted_until_ms = 0;
        std::unordered_map<std::string, std::int64_t> counted;
        bool changed_elsewhere = false;
    };
    // A trade closed elsewhere may be announced after a later one was counted here (or the
    // instances' clocks differ a little): catch_up reads back this far before the newest trade
    // counted, and ids dedupe.
    static constexpr std::int64_t kOverlapMs = 60'000;
    void count(Bot& bot, const std::vector<domain::Trade>& trades);  // lock held
    // Reads the trades another instance may have closed, if it changed the book.
    void catch_up(const std::string& user_id);
    using Key = std::pair<std::string, market::Interval>;
    // What identifies the candle a decision is made on, whichever instance makes it.
    struct CandleKey {
        const std::string& symbol;
        market::Interval interval;
        std::int64_t open_ms;
    };
    void evaluate(const std::string& user_id, const CandleKey& candle,
                  const analysis::StrategyVotes& votes, domain::Decimal price, std::int64_t now_ms,
                  const domain::MarkPrices& marks);

    TradingService& trading_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Bot> bots_;
    std::map<Key, std::vector<std::string>> enabled_;  // (symbol, timeframe) -> users
    Stats stats_;
};

}  // namespace botcore::engine
