// Trading as a service: every user's book in memory, one command at a time per user, each
// command's changes committed (group commit) before it is answered, and price triggers that
// find the users concerned without scanning every book.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "domain/performance.hpp"
#include "domain/portfolio.hpp"
#include "engine/trigger_book.hpp"
#include "market/price_book.hpp"
#include "ports/clock.hpp"
#include "ports/ids.hpp"
#include "ports/store.hpp"
#include "ports/trading_store.hpp"
#include "ports/work_partition.hpp"

namespace botcore::engine {

enum class TradingErrorKind {
    kRejected,     // the domain refused the command (OrderError says why)
    kNotFound,     // no such order / position / account
    kUnavailable,  // no market price yet, or the store failed
};

struct TradingError {
    TradingErrorKind kind = TradingErrorKind::kUnavailable;
    domain::OrderError order;  // with kRejected / kNotFound
    std::string message;
};

// What a client is told when the store cannot be reached. Not the driver's message: it names
// servers, ports and statements, which are the operator's business (/health names the store
// as failing).
inline TradingError store_unavailable() {
    return TradingError{
        TradingErrorKind::kUnavailable, {}, "the store is unavailable; retry later"};
}

struct PlacedOrder {
    domain::Order order;
    std::vector<domain::Fill> fills;
    bool duplicate = false;  // the client_order_id was seen before: this is the first order
};

struct PositionView {
    domain::Position position;
    domain::Decimal mark_price;
    domain::Decimal unrealized_pnl;
    std::optional<domain::Decimal> liquidation_price;
};

template <class T>
using Reply = std::function<void(std::expected<T, TradingError>)>;

// What one committed command changed for a user, for the user's live connections.
struct UserEvents {
    std::string user_id;
    std::vector<domain::Order> orders;
    std::vector<domain::Trade> trades;
    std::vector<PositionView> positions;         // opened or changed
    std::vector<std::string> closed_positions;   // symbols
    std::optional<domain::AccountView> account;  // after the change
    std::int64_t ts_ms = 0;
};

struct EventSink {
    // Asked before each commit: whether anyone listens for this user's events (building them
    // costs copies and an account valuation).
    std::function<bool(const std::string& user_id)> wants;
    // Called after the commit, on the committing thread.
    std::function<void(UserEvents events)> publish;
};

struct TradingSettings {
    // What new orders may trade (market.symbols); serve refuses to start while positions or
    // orders are held in others.
    const domain::SymbolCatalog* symbols = &domain::SymbolCatalog::default_catalog();
    domain::SlippageModel slippage;
    domain::Decimal funding_rate = domain::Decimal::from_units(10'000);  // 0.01% per 8 h
    // Reads of accounts, positions and performance come from the store rather than this
    // instance's copy of the book: set when instances share the store, so a read on one sees a
    // write just made through another.
    bool read_from_store = false;
    // A command that changes nothing (a refusal such as "no open position") is decided on this
    // instance's copy of the book, which another instance may have changed a moment before and
    // not announced yet. With this set, the store's revision of the book is read first, and if
    // it moved the command runs again on the book read afresh. Set when instances share the
    // store (a write decided on a stale copy is refused by the store's revision check anyway).
    bool confirm_refusals = false;
};

class TradingService {
  public:
    // After the store failed to give a book, the prices that reach it wait this long before it
    // is read again: one read per book per interval during an outage, not one per tick.
    static constexpr std::int64_t kReloadBackoffMs = 1000;

    TradingService(ports::TradingStore& store, market::PriceBook& prices, const ports::Clock& clock,
                   TradingSettings settings);

    // Each reply comes once, after the command's changes are durable (or with the reason they
    // are not), possibly on another thread.
    void place_order(const std::string& user_id, domain::OrderRequest request,
                     Reply<PlacedOrder> reply);
    void cancel_order(const std::string& user_id, std::string order_id, Reply<domain::Order> reply);
    void close_position(const std::string& user_id, std::string symbol,
                        std::optional<domain::Decimal> quantity, Reply<domain::Trade> reply,
                        domain::CloseReason reason = domain::CloseReason::kManual);
    void set_protection(const std::string& user_id, std::string symbol,
                        domain::ProtectionUpdate update, Reply<PositionView> reply);
    void reset(const std::string& user_id, Reply<domain::AccountView> reply);

    // Reads of the last committed state.
    std::expected<domain::AccountView, TradingError> account(const std::string& user_id);
    std::expected<std::vector<PositionView>, TradingError> positions(const std::string& user_id);
    // Equity and the symbols with an open position, from the last committed state (what a bot
    // needs to size and limit its orders).
    struct Holdings {
        domain::Decimal equity;
        std::vector<std::pair<std::string, domain::PositionSide>> positions;
    };
    // marks: prices_.marks() taken once by a caller that asks for many users.
    std::expected<Holdings, TradingError> holdings(const std::string& user_id,
                                                   const domain::MarkPrices& marks);
    domain::MarkPrices marks() const { return prices_.marks(); }
    // Win rate, profit factor, drawdown and equity curve over the user's closed trades, and the
    // revision of the book those trades were read at: history may be read on a replica that has
    // not replayed the latest commits (nullopt: not even the account yet).
    struct RevisedPerformance {
        domain::Performance performance;
        std::optional<std::int64_t> revision;
    };
    std::expected<RevisedPerformance, TradingError> performance(const std::string& user_id);
    // The revision of the user's committed book (advanced by every write); nullopt: no account.
    std::optional<std::int64_t> revision(const std::string& user_id);

    // Set before traffic starts.
    void set_event_sink(EventSink sink) { events_ = std::move(sink); }
    // With instances sharing the store: background work (triggers, funding) is done here only
    // for the users this partition owns. Set before traffic starts; it must outlive the service.
    void set_partition(const ports::WorkPartition& partition) { partition_ = &partition; }
    bool owns(const std::string& user_id) const {
        return partition_ == nullptr || partition_->owns(user_id);
    }
    // Whether a price on symbol is watched for the user's book here.
    bool watches(const std::string& user_id, const std::string& symbol) const {
        return triggers_.watches(user_id, symbol);
    }

    // A new market price: records it and evaluates the books whose triggers it reached. done
    // (optional) runs when every evaluation it caused has committed.
    void on_price(const std::string& symbol, domain::Decimal price, std::int64_t ts_ms,
                  std::function<void()> done = {});

    // Charges the funding of the current 8-hour period to every open position that has not paid
    // it yet (the domain and the store each refuse a second charge for a period). Returns the
    // number of books visited.
    std::size_t charge_funding();

    // Loads the books (of the users this instance owns) that hold positions or resting orders,
    // evaluates them at the prices received in the last 10 s and registers their triggers.
    // Returns how many it loaded. When shards are taken over, a level that a price crossed
    // while no instance owned the book (its owner dead, the shard changing hands) fires then,
    // not at the next price. (At start no price has arrived yet.)
    std::size_t load_open_books();

    // Another instance changed the user's book (every book when user_id is empty): a book this
    // instance holds is read again from the store before its next command; for a user whose
    // background work this instance owns, the next price of every symbol evaluates the book
    // (read afresh) and registers its exact trigger levels again.
    void refresh(const std::string& user_id);
    std::int64_t now_ms() const { return clock_.now_ms(); }
    // The symbols traded here.
    const domain::SymbolCatalog& symbols() const { return *settings_.symbols; }
    // The user's trades closed at or after from_ms, oldest first (at most the newest 1000), read
    // where the latest commits are; nullopt when the store cannot be reached.
    std::optional<std::vector<domain::Trade>> trades_since(const std::string& user_id,
                                                           std::int64_t from_ms);

    struct Stats {
        // (order type, result: filled | resting | rejected) -> orders
        std::map<std::pair<std::string, std::string>, std::uint64_t> orders;
        std::uint64_t trigger_evaluations = 0;
        std::size_t trigger_registrations = 0;
    };
    Stats stats() const;

  private:
    void count_order(domain::OrderType type, std::string_view result);

    struct Book;
    // What a command did: the changes to persist, and what to do once they are (or are not).
    struct Outcome {
        domain::Changes changes;
        std::function<void(std::exception_ptr)> after;
        // A client's command answered without changes: with confirm_refusals, it is decided
        // again if the copy of the book it was decided on turns out stale.
        bool answered_unchanged = false;
    };
    // portfolio is null when the book could not be loaded; load_error says why.
    using Step =
        std::function<Outcome(domain::Portfolio* portfolio, const TradingError& load_error)>;

    std::shared_ptr<Book> book(const std::string& user_id);
    // Runs step on the user's book once no other command of that user is in flight.
    void run(const std::shared_ptr<Book>& book, Step step);
    // A client command: body(portfolio, reply) runs on the loaded book; a book that cannot be
    // loaded is answered with the reason. What body answers at once (a refusal, a replayed
    // order) is sent by the outcome's `after`, so that drive can still decide the command again
    // on a fresher book (TradingSettings::confirm_refusals).
    template <class T, class Body>
    void command(const std::string& user_id, Reply<T> reply, Body body) {
        run(book(user_id),
            [reply = std::move(reply), body = std::move(body)](
                domain::Portfolio* portfolio, const TradingError& load_error) -> Outcome {
                if (portfolio == nullptr) {
                    reply(std::unexpected(load_error));
                    return {};
                }
                struct Answer {
                    bool deciding = true;
                    std::optional<std::expected<T, TradingError>> now;
                };
                auto answer = std::make_shared<Answer>();
                Reply<T> deferring = [answer, reply](std::expected<T, TradingError> r) {
                    if (answer->deciding) {
                        answer->now.emplace(std::move(r));
                    } else {
                        reply(std::move(r));
                    }
                };
                Outcome outcome;
                try {
                    outcome = body(*portfolio, deferring);
                } catch (const ports::StoreUnavailable&) {
                    // A read inside the command failed: nothing was answered yet, and drive
                    // drops the working copy as after any failure.
                    reply(std::unexpected(store_unavailable()));
                    throw;
                }
                answer->deciding = false;
                if (answer->now && !outcome.changes.empty()) {
                    throw std::logic_error("a command answered before its changes were committed");
                }
                if (answer->now) {
                    outcome.answered_unchanged = true;
                    outcome.after = [after = std::move(outcome.after), answer,
                                     reply](std::exception_ptr error) {
                        if (after) {
                            after(error);
                        }
                        reply(std::move(*answer->now));
                    };
                }
                return outcome;
            });
    }
    // attempt: how often the command was already run and lost its commit to another writer.
    void drive(const std::shared_ptr<Book>& book, Step step, int attempt = 0);
    // After a commit: what reads see becomes the working copy (or, on failure, the working copy
    // is dropped and reloaded from the store by the next command).
    void settle(const std::shared_ptr<Book>& book, std::exception_ptr error);
    // The user's next queued command, or none (the book is free again).
    Step take_next(const std::shared_ptr<Book>& book);
    // fresh: whether it was read from the store just now.
    domain::Portfolio* load(const std::shared_ptr<Book>& book, TradingError& error, bool& fresh);
    // Whether the store's revision of the book is past the copy's (then marked stale).
    bool moved_elsewhere(Book& book);
    // The user's committed book, or nullopt without an account: this instance's copy while that
    // is the store's, and the store otherwise (reads set to come from the store, a copy another
    // instance changed, or none loaded yet).
    std::optional<domain::PortfolioState> committed_state(const std::string& user_id);
    void register_triggers(const std::string& user_id, const domain::Portfolio& portfolio,
                           const std::string& symbol);
    void register_changed(const std::string& user_id, const domain::Portfolio& portfolio,
                          const domain::Changes& changes);
    // A level on every symbol that any price reaches: each symbol's next price evaluates the
    // book and registers its exact levels again.
    void watch_every_symbol(const std::string& user_id);
    // The registered levels may not be the store's (a change was discarded, or the book could
    // not be read): the user's book is watched on every symbol until it is evaluated again.
    void watch_until_reloaded(const std::string& user_id);
    // Whether the catch-all level still stands on every symbol for this user; marks it so.
    bool catch_all_standing(const std::string& user_id);
    // One of the user's levels was replaced or fired: the catch-all no longer stands whole.
    void catch_all_broken(const std::string& user_id);
    std::optional<domain::Decimal> price_of(std::string_view symbol) const;
    // The market price for a command on the user's position in symbol (404 without one).
    std::expected<domain::Decimal, TradingError> position_price(const domain::Portfolio& portfolio,
                                                                const std::string& symbol) const;
    PositionView position_view(const domain::Position& position) const;
    // The events of changes about to be committed, if anyone listens for this user.
    std::optional<UserEvents> events_of(const std::string& user_id,
                                        const domain::Changes& changes) const;
    void publish_events(const std::shared_ptr<Book>& book, UserEvents events);

    ports::TradingStore& store_;
    market::PriceBook& prices_;
    const ports::Clock& clock_;
    TradingSettings settings_;
    TriggerBook triggers_;
    EventSink events_;
    const ports::WorkPartition* partition_ = nullptr;
    ports::IdGenerator ids_;

    mutable std::shared_mutex books_mutex_;
    std::unordered_map<std::string, std::shared_ptr<Book>> books_;

    mutable std::mutex stats_mutex_;
    Stats stats_;

    // Users whose catch-all level stands on every symbol since a change announced by another
    // instance: the next announcement needs no registration (a user trading steadily through
    // another instance would otherwise cost its owner 20 registrations per order).
    std::mutex catch_all_mutex_;
    std::unordered_set<std::string> catch_all_;
    std::atomic<std::size_t> catch_all_size_{0};  // read without the lock on every command
};

}  // namespace botcore::engine
