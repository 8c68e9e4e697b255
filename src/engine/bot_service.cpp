#include "engine/bot_service.hpp"

#include <algorithm>

#include "analysis/vote_combination.hpp"
#include "domain/decimal_math.hpp"

namespace botcore::engine {

void BotService::set(const std::string& user_id, analysis::BotSettings settings,
                     std::int64_t revision) {
    std::lock_guard lock(mutex_);
    auto& bot = bots_[user_id];
    if (revision < bot.revision) {
        return;
    }
    bot.revision = revision;
    if (bot.counting_since_ms == 0) {
        // Today's losses and a cooldown still running outlive a restart: the trades since the
        // start of the day (or of the cooldown window, if longer) are read back before the bot's
        // first decision.
        const auto now = trading_.now_ms();
        const auto cooldown_ms = static_cast<std::int64_t>(settings.cooldown_minutes) * 60'000;
        bot.counting_since_ms =
            std::min(analysis::utc_day(now) * analysis::kDayMs, now - cooldown_ms);
        bot.changed_elsewhere = true;
    }
    for (const auto& symbol : bot.settings.symbols) {
        std::erase(enabled_[{symbol, bot.settings.timeframe}], user_id);
    }
    bot.settings = std::move(settings);
    if (bot.settings.enabled) {
        for (const auto& symbol : bot.settings.symbols) {
            enabled_[{symbol, bot.settings.timeframe}].push_back(user_id);
        }
    }
}

std::optional<analysis::BotSettings> BotService::settings(const std::string& user_id) const {
    std::lock_guard lock(mutex_);
    const auto it = bots_.find(user_id);
    return it == bots_.end() ? std::nullopt : std::optional(it->second.settings);
}

bool BotService::has_bot(const std::string& user_id) const {
    std::lock_guard lock(mutex_);
    return bots_.contains(user_id);
}

std::size_t BotService::enabled_count() const {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::ranges::count_if(
        bots_, [](const auto& entry) { return entry.second.settings.enabled; }));
}

std::size_t BotService::on_votes(const std::string& symbol, market::Interval interval,
                                 std::int64_t candle_open_ms, const analysis::StrategyVotes& votes,
                                 domain::Decimal price, std::int64_t now_ms) {
    std::vector<std::string> users;
    {
        std::lock_guard lock(mutex_);
        if (const auto it = enabled_.find({symbol, interval}); it != enabled_.end()) {
            users = it->second;
        }
    }
    // A bot trades from the instance that owns its user's background work.
    std::erase_if(users, [this](const std::string& user_id) { return !trading_.owns(user_id); });
    const auto marks = trading_.marks();
    const CandleKey candle{symbol, interval, candle_open_ms};
    for (const auto& user : users) {
        evaluate(user, candle, votes, price, now_ms, marks);
    }
    stats_.evaluations.fetch_add(users.size(), std::memory_order_relaxed);
    return users.size();
}

void BotService::evaluate(const std::string& user_id, const CandleKey& candle,
                          const analysis::StrategyVotes& votes, domain::Decimal price,
                          std::int64_t now_ms, const domain::MarkPrices& marks) {
    const auto& symbol = candle.symbol;
    {
        // A neutral vote neither opens nor closes anything: most candles, for most bots.
        std::lock_guard lock(mutex_);
        const auto& settings = bots_[user_id].settings;
        if (analysis::combine_votes(settings.combination_mode, settings.strategies, votes)
                .direction == analysis::Direction::kNeutral) {
            return;
        }
    }
    catch_up(user_id);
    auto holdings = trading_.holdings(user_id, marks);
    if (!holdings) {
        return;
    }
    std::optional<domain::OrderRequest> open;
    bool close = false;
    {
        std::lock_guard lock(mutex_);
        auto& bot = bots_[user_id];
        if (bot.in_flight.contains(symbol)) {
            return;
        }
        bot.state.open_positions.clear();
        std::optional<domain::PositionSide> held;
        for (const auto& [held_symbol, side] : holdings->positions) {
            bot.state.open_positions.insert(held_symbol);
            if (held_symbol == symbol) {
                held = side;
            }
        }
        if (!held) {
            bot.opened.erase(symbol);  // closed by its stop, target or the user
        }
        analysis::roll_day(bot.state, holdings->equity, now_ms);
        if (held && bot.opened.contains(symbol)) {
            const auto vote = analysis::combine_votes(bot.settings.combination_mode,
                                                      bot.settings.strategies, votes);
            const bool against = (*held == domain::PositionSide::kLong &&
                                  vote.direction == analysis::Direction::kBearish) ||
                                 (*held == domain::PositionSide::kShort &&
                                  vote.direction == analysis::Direction::kBullish);
            close = against;
            if (close) {
                bot.in_flight.insert(symbol);
            }
        } else if (auto order = analysis::decide(bot.settings, bot.state, symbol, votes,
                                                 holdings->equity, price, now_ms)) {
            auto request = order->to_request();
            // Named after the candle, not the tick that closed it: whichever instance decides on
            // it (a restart, two owners while shards move) names the order alike, and it fills
            // once.
            request.client_order_id = "bot-" + symbol + "-" +
                                      std::string(market::to_string(candle.interval)) + "-" +
                                      std::to_string(candle.open_ms / 1000);
            open = std::move(request);
            bot.opened.insert(symbol);
            bot.in_flight.insert(symbol);
        }
    }
    if (close) {
        stats_.closes.fetch_add(1, std::memory_order_relaxed);
        trading_.close_position(
            user_id, symbol, std::nullopt,
            [this, user_id, symbol](std::expected<domain::Trade, TradingError> result) {
                std::lock_guard lock(mutex_);
                bots_[user_id].in_flight.erase(symbol);
                if (!result) {
                    stats_.rejected.fetch_add(1, std::memory_order_relaxed);
                }
            },
            domain::CloseReason::kBot);
    } else if (open) {
        stats_.orders.fetch_add(1, std::memory_order_relaxed);
        trading_.place_order(user_id, std::move(*open),
                             [this, user_id, symbol](std::expected<PlacedOrder, TradingError> r) {
                                 std::lock_guard lock(mutex_);
                                 auto& bot = bots_[user_id];
                                 bot.in_flight.erase(symbol);
                                 if (!r) {
                                     stats_.rejected.fetch_add(1, std::memory_order_relaxed);
                                     bot.opened.erase(symbol);
                                 }
                             });
    }
}

void BotService::on_trades(const std::string& user_id, const std::vector<domain::Trade>& trades) {
    std::lock_guard lock(mutex_);
    const auto it = bots_.find(user_id);
    if (it != bots_.end()) {
        count(it->second, trades);
    }
}

void BotService::count(Bot& bot, const std::vector<domain::Trade>& trades) {
    for (const auto& trade : trades) {
        if (!bot.counted.emplace(trade.id, trade.closed_ms).second) {
            continue;
        }
        bot.counted_until_ms = std::max(bot.counted_until_ms, trade.closed_ms);
        if (const auto net = domain::checked_sub(trade.realized_pnl, trade.fees)) {
            analysis::record_trade_result(bot.state, bot.settings, *net, trade.closed_ms);
        }
    }
    // catch_up never reads these again: however many trades closed in the last minute, each
    // is remembered until it is out of the reread window, and no longer.
    std::erase_if(bot.counted, [&](const auto& entry) {
        return entry.second < bot.counted_until_ms - kOverlapMs;
    });
}

void BotService::changed_elsewhere(const std::string& user_id) {
    std::lock_guard lock(mutex_);
    if (user_id.empty()) {
        for (auto& [id, bot] : bots_) {
            bot.changed_elsewhere = true;
        }
    } else if (const auto it = bots_.find(user_id); it != bots_.end()) {
        it->second.changed_elsewhere = true;
    }
}

void BotService::catch_up(const std::string& user_id) {
    std::int64_t from_ms = 0;
    {
        std::lock_guard lock(mutex_);
        auto& bot = bots_[user_id];
        if (!std::exchange(bot.changed_elsewhere, false)) {
            return;
        }
        from_ms = std::max(bot.counting_since_ms, bot.counted_until_ms - kOverlapMs);
    }
    const auto trades = trading_.trades_since(user_id, from_ms);
    std::lock_guard lock(mutex_);
    auto& bot = bots_[user_id];
    if (trades) {
        count(bot, *trades);
    } else {
        bot.changed_elsewhere = true;  // read again before the next decision
    }
}

}  // namespace botcore::engine
