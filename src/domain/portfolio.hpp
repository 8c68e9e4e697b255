// One user's trading book: the account, a position per symbol and the resting orders, with
// the operations that validate a command, apply it and report exactly what changed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/account.hpp"
#include "domain/decimal.hpp"
#include "domain/order.hpp"
#include "domain/order_error.hpp"
#include "domain/position.hpp"
#include "domain/slippage.hpp"
#include "domain/symbol.hpp"
#include "domain/trade.hpp"

namespace botcore::domain {

using MarkPrices = std::map<std::string, Decimal, std::less<>>;

struct PortfolioState {
    Account account;
    std::map<std::string, Position, std::less<>> positions;  // by symbol
    std::vector<Order> open_orders;                          // in placement order
    MarkPrices marks;  // last price seen per symbol (not persisted: the feed refills it)
    // How many commands the store has committed to this book when it was read. A write carries
    // the revision it is based on, so two instances cannot both change one book from the same
    // state (the store refuses the second). Not used by the domain rules.
    std::int64_t revision = 0;

    bool operator==(const PortfolioState&) const = default;
};

struct FundingPayment {
    std::string user_id;
    std::string symbol;
    PositionSide side = PositionSide::kLong;
    Decimal quantity;
    Decimal mark;
    Decimal rate;
    Decimal amount;  // paid by the account: positive a cost, negative an income
    std::int64_t period = 0;
    std::int64_t time_ms = 0;

    bool operator==(const FundingPayment&) const = default;
};

// For each field: absent leaves it unchanged, an empty inner optional clears it.
struct ProtectionUpdate {
    std::optional<std::optional<Decimal>> stop_loss;
    std::optional<std::optional<Decimal>> take_profit;
    std::optional<std::optional<Decimal>> trailing_stop_pct;
};

// What one command changed, so the caller can persist exactly that in one transaction.
struct Changes {
    std::vector<Order> orders;  // created or changed orders, final state; place_order's
                                // own order comes first
    std::vector<std::string> created_orders;    // the ids among orders that are new
    std::vector<Fill> fills;                    // each fill's fee was charged exactly once
    std::vector<Position> positions;            // opened or changed positions, state after
    std::vector<std::string> closed_positions;  // symbols whose position no longer exists
    std::vector<Trade> trades;
    std::vector<FundingPayment> funding;
    bool account_changed = false;

    bool empty() const {
        return orders.empty() && fills.empty() && positions.empty() && closed_positions.empty() &&
               trades.empty() && funding.empty() && !account_changed;
    }
    // The latest time among the changed records (0 when none carries one).
    std::int64_t latest_ms() const {
        std::int64_t latest = 0;
        for (const auto& order : orders) {
            latest = std::max(latest, order.updated_ms);
        }
        for (const auto& position : positions) {
            latest = std::max(latest, position.updated_ms);
        }
        for (const auto& trade : trades) {
            latest = std::max(latest, trade.closed_ms);
        }
        for (const auto& payment : funding) {
            latest = std::max(latest, payment.time_ms);
        }
        return latest;
    }
};

// The prices at which on_price would change anything for one symbol: at or below lower, or at
// or above upper. A trigger index keyed by these two prices finds the books a tick concerns
// without visiting the others.
struct TriggerBand {
    std::optional<Decimal> lower;
    std::optional<Decimal> upper;

    bool acts_at(Decimal price) const {
        return (lower && price <= *lower) || (upper && price >= *upper);
    }
    bool operator==(const TriggerBand&) const = default;
};

class Portfolio {
  public:
    // Produces a fresh unique id for each order, position and trade.
    using IdSource = std::function<std::string()>;

    // The catalog must outlive the portfolio (the default catalog is static).
    Portfolio(Account account, IdSource next_id,
              const SymbolCatalog& catalog = SymbolCatalog::default_catalog(),
              SlippageModel slippage = {});
    // Rebuilds a portfolio loaded from the store.
    Portfolio(PortfolioState state, IdSource next_id,
              const SymbolCatalog& catalog = SymbolCatalog::default_catalog(),
              SlippageModel slippage = {});

    const PortfolioState& state() const { return state_; }
    const Account& account() const { return state_.account; }
    const Position* position(std::string_view symbol) const;
    const Order* open_order(std::string_view order_id) const;

    // Validates and places an order while its symbol trades at market_price. Market orders
    // and marketable limits fill at once as taker at the slippage-adjusted price (a limit
    // never worse than its price); other limits rest, reserving margin, and fill later at
    // their price as maker; stop-limits rest until the stop price trades. Orders in a symbol
    // share one leverage: the position's, else the resting orders' (reduce-only ones aside).
    std::expected<Changes, OrderError> place_order(const OrderRequest& request,
                                                   Decimal market_price, std::int64_t now_ms);

    std::expected<Changes, OrderError> cancel_order(std::string_view order_id, std::int64_t now_ms);

    // A trade price for symbol: liquidates, fires stop-loss / take-profit / trailing stop at
    // the price reached (liquidation at the liquidation price), ratchets trailing anchors,
    // triggers stop-limits and fills resting limits the price reached. A resting order whose
    // fill would open or grow a position with more margin than its reservation or the free
    // margin covers is cancelled instead. Ignores prices <= 0.
    Changes on_price(std::string_view symbol, Decimal price, std::int64_t now_ms);

    // Where this book's position and resting orders in symbol next need a price.
    TriggerBand trigger_band(std::string_view symbol) const;

    // Closes all of the position, or quantity of it, at price: slippage applies for manual and
    // bot closes; stop_loss/take_profit/trailing_stop close at price; liquidation (or a price
    // at or beyond the liquidation price) loses the whole margin.
    std::expected<Changes, OrderError> close_position(std::string_view symbol,
                                                      std::optional<Decimal> quantity,
                                                      Decimal price, CloseReason reason,
                                                      std::int64_t now_ms);

    // Sets or clears protective triggers, validated against the current price.
    std::expected<Changes, OrderError> set_protection(std::string_view symbol,
                                                      const ProtectionUpdate& update, Decimal price,
                                                      std::int64_t now_ms);

    // Charges (or pays) funding on the position at most once per 8-hour period; nothing
    // happens when there is no position or the period was already charged.
    std::expected<Changes, OrderError> apply_funding(std::string_view symbol, Decimal mark,
                                                     Decimal rate, std::int64_t now_ms);

    // Cancels every order and drops every position without trades; the balance returns to
    // the initial balance and the running totals to zero.
    Changes reset(std::int64_t now_ms);

    // The account at the last prices seen (a position without one is valued at its entry).
    std::expected<AccountView, OrderError> view() const { return view(state_.marks); }
    std::expected<AccountView, OrderError> view(const MarkPrices& marks) const;

  private:
    const SymbolSpec* spec_of(std::string_view symbol) const { return catalog_->find(symbol); }

    PortfolioState state_;
    IdSource next_id_;
    const SymbolCatalog* catalog_;
    SlippageModel slippage_;
};

// The account view of a state at the given marks.
std::expected<AccountView, OrderError> account_view(const PortfolioState& state,
                                                    const MarkPrices& marks);

}  // namespace botcore::domain
