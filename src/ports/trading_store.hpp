// The durable side of trading: each user's book (account, positions, resting orders), written
// through after every command, and the history read back by the API.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/order.hpp"
#include "domain/portfolio.hpp"
#include "domain/trade.hpp"

namespace botcore::ports {

// What one command changed, persisted in one transaction. The account row is always written:
// it carries the book's revision, and a write whose revision is no longer the stored one fails
// with WriteConflict and changes nothing.
struct TradingWrite {
    domain::Account account;  // the account after the command
    domain::Changes changes;
    std::int64_t revision = 0;  // the book's revision the changes were computed from
};

// Keyset position: items created strictly before the item with this id (ids are ordered by
// creation time).
struct PageAfter {
    std::string id;
};

struct OrderQuery {
    std::optional<domain::OrderStatus> status;
    std::optional<std::string> symbol;
    std::optional<PageAfter> after;
    int limit = 100;
};

struct TradeQuery {
    std::optional<std::string> symbol;
    std::optional<std::int64_t> from_ms;  // closed at or after
    std::optional<std::int64_t> to_ms;    // closed at or before
    std::optional<PageAfter> after;
    int limit = 100;
    // Read where the latest commits are (the primary), not where history is usually read.
    bool fresh = false;
};

// A user's closed trades, oldest first, and the revision of the book they were read at: history
// may be read where the latest commits have not arrived yet (a replica).
struct TradeHistory {
    std::vector<domain::Trade> trades;
    std::optional<std::int64_t> revision;  // nullopt: no account where they were read
};

class TradingStore {
  public:
    using Done = std::function<void(std::exception_ptr)>;

    virtual ~TradingStore() = default;

    // The user's book as last committed; nullopt for an unknown user.
    virtual std::optional<domain::PortfolioState> load_portfolio(std::string_view user_id) = 0;
    // The revision of the user's book as last committed (a cheaper read than the book); nullopt
    // for an unknown user.
    virtual std::optional<std::int64_t> book_revision(std::string_view user_id) = 0;
    // Commits with other commands' writes (group commit); done runs after the commit, on the
    // committing thread: it must be quick.
    virtual void commit(TradingWrite write, Done done) = 0;

    virtual std::optional<domain::Order> find_order(std::string_view user_id,
                                                    std::string_view order_id) = 0;
    virtual std::optional<domain::Order> find_order_by_client_id(
        std::string_view user_id, std::string_view client_order_id) = 0;
    virtual std::vector<domain::Fill> fills(std::string_view user_id,
                                            std::string_view order_id) = 0;
    // Newest first; one more than limit is asked for by the caller to know if a page follows.
    virtual std::vector<domain::Order> orders(std::string_view user_id,
                                              const OrderQuery& query) = 0;
    virtual std::vector<domain::Trade> trades(std::string_view user_id,
                                              const TradeQuery& query) = 0;
    // Every closed trade of the user (portfolio performance), with the revision read at once.
    virtual TradeHistory all_trades(std::string_view user_id) = 0;
    // Users holding a position or a resting order: their triggers are loaded at start.
    virtual std::vector<std::string> users_with_open_books() = 0;
    // The symbols of every user's positions and resting orders, sorted.
    virtual std::vector<std::string> held_symbols() = 0;
    // Counts for metrics.
    virtual std::int64_t open_positions() = 0;

    // Calls changed(user_id) when another instance sharing the store committed a change to that
    // user's book (an in-memory copy of it is stale). A store used by one instance never calls it.
    // An empty function stops the calls (none is running once this returns).
    virtual void watch_books(std::function<void(const std::string& user_id)> changed) {
        (void)changed;
    }
};

}  // namespace botcore::ports
