#include "domain/portfolio.hpp"

#include <algorithm>
#include <utility>

#include "domain/decimal_math.hpp"
#include "domain/funding.hpp"
#include "domain/margin.hpp"

namespace botcore::domain {
namespace {

constexpr Decimal kZero{};
constexpr Decimal kMaxTrailingPct = Decimal::from_integer(50);

std::unexpected<OrderError> fail(OrderErrorCode code, std::string field, std::string message) {
    return std::unexpected(OrderError{code, std::move(field), std::move(message)});
}

std::unexpected<OrderError> overflow() {
    return fail(OrderErrorCode::kOverflow, "", "an amount is out of the representable range");
}

// An order so large that its value or margin cannot be represented: the quantity is at fault.
std::unexpected<OrderError> order_too_large() {
    return fail(OrderErrorCode::kOverflow, "quantity",
                "the order's value is out of the representable range");
}

struct Protection {
    std::optional<Decimal> stop_loss;
    std::optional<Decimal> take_profit;
    std::optional<Decimal> trailing_stop_pct;
};

// One execution against the book: an order's fill or a close that no order caused.
struct Execution {
    std::string order_id;
    std::string symbol;
    Side side = Side::kBuy;
    Decimal quantity;
    Decimal price;
    Liquidity liquidity = Liquidity::kTaker;
    int leverage = 1;
    bool reduce_only = false;
    Protection protection;
    CloseReason reason = CloseReason::kManual;
};

// A command works on a copy of the state, so a refusal or an overflow half-way leaves the
// portfolio exactly as it was; it records what it touched to report the changes.
struct Command {
    Command(const PortfolioState& state, std::int64_t now, const Portfolio::IdSource& ids)
        : next(state), now_ms(now), next_id(ids) {}

    void touch_order(const std::string& id) {
        if (std::find(touched_orders.begin(), touched_orders.end(), id) == touched_orders.end()) {
            touched_orders.push_back(id);
        }
    }
    void touch_symbol(const std::string& symbol) {
        if (std::find(touched_symbols.begin(), touched_symbols.end(), symbol) ==
            touched_symbols.end()) {
            touched_symbols.push_back(symbol);
        }
    }
    void set_mark(std::string_view symbol, Decimal price) {
        const auto it = next.marks.find(symbol);
        if (it != next.marks.end()) {
            it->second = price;
        } else {
            next.marks.emplace(std::string(symbol), price);
        }
    }
    const std::string& user() const { return next.account.user_id; }

    PortfolioState next;
    Changes changes;
    CheckedMath m;
    std::int64_t now_ms;
    const Portfolio::IdSource& next_id;
    std::vector<std::string> touched_orders;
    std::vector<std::string> touched_symbols;
    std::map<std::string, Order> finished;  // orders that left the book during the command
};

Changes finish(Command& c, const PortfolioState& before) {
    for (const auto& id : c.touched_orders) {
        const auto open = std::find_if(c.next.open_orders.begin(), c.next.open_orders.end(),
                                       [&](const Order& o) { return o.id == id; });
        c.changes.orders.push_back(open != c.next.open_orders.end() ? *open : c.finished.at(id));
        if (std::none_of(before.open_orders.begin(), before.open_orders.end(),
                         [&](const Order& o) { return o.id == id; })) {
            c.changes.created_orders.push_back(id);
        }
    }
    for (const auto& symbol : c.touched_symbols) {
        if (const auto it = c.next.positions.find(symbol); it != c.next.positions.end()) {
            c.changes.positions.push_back(it->second);
        } else if (before.positions.contains(symbol)) {
            c.changes.closed_positions.push_back(symbol);
        }
    }
    c.changes.account_changed = c.next.account != before.account;
    return std::move(c.changes);
}

// Reports what the command changed and makes its state the portfolio's.
Changes commit(Command& c, PortfolioState& state) {
    Changes changes = finish(c, state);
    state = std::move(c.next);
    return changes;
}

// The position a command on symbol works on, with its symbol's filters, at a valid price.
struct Target {
    const Position* position;
    const SymbolSpec* spec;
};

std::expected<Target, OrderError> find_target(const PortfolioState& state,
                                              const SymbolCatalog& catalog, std::string_view symbol,
                                              Decimal price) {
    const auto it = state.positions.find(symbol);
    if (it == state.positions.end()) {
        return fail(OrderErrorCode::kNoPosition, "symbol",
                    "no open position in " + std::string(symbol));
    }
    const SymbolSpec* spec = catalog.find(symbol);
    if (spec == nullptr) {
        return fail(OrderErrorCode::kUnknownSymbol, "symbol",
                    "unknown symbol '" + std::string(symbol) + "'");
    }
    if (price <= kZero) {
        return fail(OrderErrorCode::kInvalidPrice, "price", "price must be positive");
    }
    return Target{&it->second, spec};
}

bool is_long(PositionSide side) {
    return side == PositionSide::kLong;
}

// The leverage every order that can open in symbol must carry: the position's, else that of the
// resting orders (a reduce-only order never opens, so it holds none).
std::optional<int> symbol_leverage(const PortfolioState& state, std::string_view symbol) {
    if (const auto it = state.positions.find(symbol); it != state.positions.end()) {
        return it->second.leverage;
    }
    for (const auto& o : state.open_orders) {
        if (o.symbol == symbol && !o.reduce_only) {
            return o.leverage;
        }
    }
    return std::nullopt;
}

// The part of an order that opens or grows a position: what is left once an opposite position
// held is closed; none for a reduce-only order.
Decimal opening_quantity(CheckedMath& m, const Position* held, Side side, Decimal quantity,
                         bool reduce_only) {
    if (reduce_only) {
        return kZero;
    }
    const bool opposite = held != nullptr && held->side != position_side_of(side);
    return std::max(kZero, m.sub(quantity, opposite ? held->quantity : kZero));
}

std::optional<OrderError> validate_protection(PositionSide side, Decimal reference,
                                              const SymbolSpec& spec, const Protection& p) {
    const bool long_side = is_long(side);
    if (p.stop_loss) {
        if (*p.stop_loss <= kZero || !is_multiple_of(*p.stop_loss, spec.tick_size)) {
            return OrderError{OrderErrorCode::kInvalidStopLoss, "stop_loss",
                              "stop_loss must be a positive multiple of the tick size " +
                                  spec.tick_size.to_string()};
        }
        if (long_side ? *p.stop_loss >= reference : *p.stop_loss <= reference) {
            return OrderError{OrderErrorCode::kInvalidStopLoss, "stop_loss",
                              std::string("stop_loss must be ") + (long_side ? "below" : "above") +
                                  " the price " + reference.to_string() + " for a " +
                                  std::string(to_string(side))};
        }
    }
    if (p.take_profit) {
        if (*p.take_profit <= kZero || !is_multiple_of(*p.take_profit, spec.tick_size)) {
            return OrderError{OrderErrorCode::kInvalidTakeProfit, "take_profit",
                              "take_profit must be a positive multiple of the tick size " +
                                  spec.tick_size.to_string()};
        }
        if (long_side ? *p.take_profit <= reference : *p.take_profit >= reference) {
            return OrderError{OrderErrorCode::kInvalidTakeProfit, "take_profit",
                              std::string("take_profit must be ") +
                                  (long_side ? "above" : "below") + " the price " +
                                  reference.to_string() + " for a " + std::string(to_string(side))};
        }
    }
    if (p.trailing_stop_pct &&
        (*p.trailing_stop_pct <= kZero || *p.trailing_stop_pct > kMaxTrailingPct)) {
        return OrderError{OrderErrorCode::kInvalidTrailingStop, "trailing_stop_pct",
                          "trailing_stop_pct must be greater than 0 and at most 50"};
    }
    return std::nullopt;
}

// Closes close_qty of the position at exit_price, realizing PnL and releasing margin pro rata.
// An isolated position never loses more than its margin; a liquidation loses all of it.
void realize(Command& c, const std::string& symbol, Decimal close_qty, Decimal exit_price,
             Decimal close_fee, CloseReason reason) {
    auto& m = c.m;
    const auto it = c.next.positions.find(symbol);
    Position& p = it->second;
    const bool full = close_qty == p.quantity;
    const Decimal released = full ? p.margin : m.mul_div(p.margin, close_qty, p.quantity);
    const Decimal fee_share = full ? p.open_fees : m.mul_div(p.open_fees, close_qty, p.quantity);
    Decimal pnl = m.neg(released);
    if (reason != CloseReason::kLiquidation) {
        const Decimal move =
            is_long(p.side) ? m.sub(exit_price, p.entry_price) : m.sub(p.entry_price, exit_price);
        pnl = std::max(m.mul(move, close_qty), pnl);
    }
    Account& account = c.next.account;
    account.balance = m.add(account.balance, pnl);
    account.realized_pnl = m.add(account.realized_pnl, pnl);
    c.changes.trades.push_back(Trade{
        c.next_id(), c.user(), p.trade_id, symbol, p.side, close_qty, p.entry_price, exit_price,
        p.leverage, pnl, m.add(fee_share, close_fee), released, reason, p.opened_ms, c.now_ms});
    if (full) {
        c.next.positions.erase(it);
    } else {
        p.quantity = m.sub(p.quantity, close_qty);
        p.margin = m.sub(p.margin, released);
        p.open_fees = m.sub(p.open_fees, fee_share);
        p.updated_ms = c.now_ms;
    }
    c.touch_symbol(symbol);
}

void open_or_add(Command& c, const std::string& symbol, PositionSide side, Decimal quantity,
                 Decimal price, int leverage, Decimal fee, const Protection& protection) {
    auto& m = c.m;
    const auto it = c.next.positions.find(symbol);
    if (it == c.next.positions.end()) {
        const Decimal margin = m.div_int(m.mul(quantity, price), leverage);
        Position p{c.user(),
                   symbol,
                   side,
                   quantity,
                   price,
                   leverage,
                   margin,
                   protection.stop_loss,
                   protection.take_profit,
                   protection.trailing_stop_pct,
                   protection.trailing_stop_pct ? std::optional(price) : std::nullopt,
                   c.now_ms,
                   c.now_ms,
                   c.next_id(),
                   fee,
                   funding_period(c.now_ms)};
        c.next.positions.emplace(symbol, std::move(p));
    } else {
        Position& p = it->second;
        // Only a book stored before one leverage per symbol was enforced holds resting orders
        // at another leverage: the position keeps its own, and margin_covers_fill counts so.
        const Decimal margin = m.div_int(m.mul(quantity, price), p.leverage);
        const Decimal total = m.add(p.quantity, quantity);
        p.entry_price =
            m.div(m.add(m.mul(p.quantity, p.entry_price), m.mul(quantity, price)), total);
        p.quantity = total;
        p.margin = m.add(p.margin, margin);
        p.open_fees = m.add(p.open_fees, fee);
        if (protection.stop_loss) {
            p.stop_loss = protection.stop_loss;
        }
        if (protection.take_profit) {
            p.take_profit = protection.take_profit;
        }
        if (protection.trailing_stop_pct) {
            p.trailing_stop_pct = protection.trailing_stop_pct;
            p.trailing_anchor = price;
        }
        p.updated_ms = c.now_ms;
    }
    c.touch_symbol(symbol);
}

// Fills an execution: charges its fee once, reduces an opposite position (realizing PnL) and
// opens or adds with the rest. Empty when a reduce-only execution has nothing to reduce.
std::optional<Fill> execute(Command& c, const Execution& e) {
    auto& m = c.m;
    const auto it = c.next.positions.find(e.symbol);
    const bool opposite =
        it != c.next.positions.end() && it->second.side != position_side_of(e.side);
    Decimal quantity = e.quantity;
    if (e.reduce_only) {
        if (!opposite) {
            return std::nullopt;
        }
        quantity = std::min(quantity, it->second.quantity);
    }
    Account& account = c.next.account;
    const Decimal fee = m.take(account.fee_model().fee(m.mul(quantity, e.price), e.liquidity));
    account.balance = m.sub(account.balance, fee);
    account.fees_paid = m.add(account.fees_paid, fee);
    Fill fill{e.order_id, e.symbol, e.side, quantity, e.price, fee, e.liquidity, c.now_ms};
    c.changes.fills.push_back(fill);

    Decimal remaining = quantity;
    Decimal open_fee = fee;
    if (opposite) {
        const Decimal close_qty = std::min(quantity, it->second.quantity);
        const Decimal close_fee = close_qty == quantity ? fee : m.mul_div(fee, close_qty, quantity);
        open_fee = m.sub(fee, close_fee);
        remaining = m.sub(quantity, close_qty);
        realize(c, e.symbol, close_qty, e.price, close_fee, e.reason);
    }
    if (remaining > kZero) {
        open_or_add(c, e.symbol, position_side_of(e.side), remaining, e.price, e.leverage, open_fee,
                    e.protection);
    }
    return fill;
}

void liquidate(Command& c, const std::string& symbol, Decimal liquidation) {
    const Position& p = c.next.positions.at(symbol);
    const Decimal quantity = p.quantity;
    c.changes.fills.push_back(Fill{"", symbol, closing_side(p.side), quantity, liquidation, kZero,
                                   Liquidity::kTaker, c.now_ms});
    realize(c, symbol, quantity, liquidation, kZero, CloseReason::kLiquidation);
}

enum class PositionAction { kNone, kLiquidate, kStopLoss, kTakeProfit, kTrailingStop, kRatchet };

PositionAction position_action(const Position& p, Decimal price) {
    const bool long_side = is_long(p.side);
    if (const auto liq = liquidation_price(p.side, p.entry_price, p.leverage);
        liq && liquidation_reached(p.side, *liq, price)) {
        return PositionAction::kLiquidate;
    }
    if (p.stop_loss && (long_side ? price <= *p.stop_loss : price >= *p.stop_loss)) {
        return PositionAction::kStopLoss;
    }
    if (p.take_profit && (long_side ? price >= *p.take_profit : price <= *p.take_profit)) {
        return PositionAction::kTakeProfit;
    }
    if (const auto stop = trailing_stop_price(p)) {
        if (long_side ? price <= *stop : price >= *stop) {
            return PositionAction::kTrailingStop;
        }
        if (long_side ? price > *p.trailing_anchor : price < *p.trailing_anchor) {
            return PositionAction::kRatchet;
        }
    }
    return PositionAction::kNone;
}

enum class OrderAction { kNone, kTrigger, kFill };

OrderAction order_action(const Order& o, Decimal price) {
    const bool buy = o.side == Side::kBuy;
    if (o.type == OrderType::kStopLimit && !o.triggered) {
        return (buy ? price >= *o.stop_price : price <= *o.stop_price) ? OrderAction::kTrigger
                                                                       : OrderAction::kNone;
    }
    return (buy ? price <= *o.price : price >= *o.price) ? OrderAction::kFill : OrderAction::kNone;
}

void process_position(Command& c, const std::string& symbol, Decimal price) {
    const auto it = c.next.positions.find(symbol);
    if (it == c.next.positions.end()) {
        return;
    }
    Position& p = it->second;
    const auto close_at_price = [&](CloseReason reason) {
        execute(c, Execution{"",
                             symbol,
                             closing_side(p.side),
                             p.quantity,
                             price,
                             Liquidity::kTaker,
                             p.leverage,
                             true,
                             {},
                             reason});
    };
    switch (position_action(p, price)) {
        case PositionAction::kNone:
            break;
        case PositionAction::kLiquidate:
            liquidate(c, symbol, *liquidation_price(p.side, p.entry_price, p.leverage));
            break;
        case PositionAction::kStopLoss:
            close_at_price(CloseReason::kStopLoss);
            break;
        case PositionAction::kTakeProfit:
            close_at_price(CloseReason::kTakeProfit);
            break;
        case PositionAction::kTrailingStop:
            close_at_price(CloseReason::kTrailingStop);
            break;
        case PositionAction::kRatchet:
            p.trailing_anchor = price;
            p.updated_ms = c.now_ms;
            c.touch_symbol(symbol);
            break;
    }
}

// Whether the account can carry a resting order's fill at price. The margin of the part that
// opens or grows a position (at the leverage that position will have) plus the fee, less the
// margin a closing part releases, must fit in the order's own reservation or else in the free
// margin, valued with the symbol at price. Called once the order has left the book.
bool margin_covers_fill(Command& c, const Order& o, Decimal price, Liquidity liquidity) {
    auto& m = c.m;
    const auto it = c.next.positions.find(o.symbol);
    const Position* held = it != c.next.positions.end() ? &it->second : nullptr;
    const Decimal opening = opening_quantity(m, held, o.side, o.quantity, o.reduce_only);
    if (opening == kZero) {
        return true;
    }
    const bool adds = held != nullptr && held->side == position_side_of(o.side);
    const Decimal margin =
        m.take(initial_margin(m.mul(opening, price), adds ? held->leverage : o.leverage));
    const Decimal fee = m.take(c.next.account.fee_model().fee(m.mul(o.quantity, price), liquidity));
    const Decimal released = held != nullptr && !adds ? held->margin : kZero;
    const Decimal needed = m.sub(m.add(margin, fee), released);
    MarkPrices marks = c.next.marks;
    marks[o.symbol] = price;
    const auto view = account_view(c.next, marks);
    const Decimal free = m.take(view ? std::optional(view->free_margin) : std::nullopt);
    return needed <= std::max(o.reserved_margin, free);
}

void process_orders(Command& c, const SymbolSpec& spec, const SlippageModel& slippage,
                    const std::string& symbol, Decimal price) {
    std::vector<std::string> ids;
    for (const auto& o : c.next.open_orders) {
        if (o.symbol == symbol) {
            ids.push_back(o.id);
        }
    }
    for (const auto& id : ids) {
        auto& book = c.next.open_orders;
        const auto it =
            std::find_if(book.begin(), book.end(), [&](const Order& o) { return o.id == id; });
        Order& o = *it;
        const bool buy = o.side == Side::kBuy;
        Decimal fill_price = *o.price;
        Liquidity liquidity = Liquidity::kMaker;
        switch (order_action(o, price)) {
            case OrderAction::kNone:
                continue;
            case OrderAction::kTrigger: {
                o.triggered = true;
                o.updated_ms = c.now_ms;
                c.touch_order(id);
                if (buy ? *o.price < price : *o.price > price) {
                    continue;  // now an ordinary resting limit
                }
                // Marketable at the trigger: executes as a taker, never beyond its limit.
                const Decimal slipped =
                    c.m.take(slippage.fill_price(o.side, price, o.quantity, spec.tick_size));
                fill_price = buy ? std::min(slipped, *o.price) : std::max(slipped, *o.price);
                liquidity = Liquidity::kTaker;
                break;
            }
            case OrderAction::kFill:
                break;
        }
        Order done = std::move(o);
        book.erase(it);
        std::optional<Fill> fill;
        if (margin_covers_fill(c, done, fill_price, liquidity)) {
            fill = execute(
                c, Execution{done.id, symbol, done.side, done.quantity, fill_price, liquidity,
                             done.leverage, done.reduce_only,
                             Protection{done.stop_loss, done.take_profit, done.trailing_stop_pct},
                             CloseReason::kManual});
        }
        if (fill) {
            done.status = OrderStatus::kFilled;
            done.filled_quantity = fill->quantity;
            done.average_price = fill->price;
            done.fees = fill->fee;
        } else {
            // reduce-only with nothing left to reduce, or margin the account does not have
            done.status = OrderStatus::kCancelled;
        }
        done.reserved_margin = kZero;
        done.updated_ms = c.now_ms;
        c.finished[id] = std::move(done);
        c.touch_order(id);
    }
}

}  // namespace

Portfolio::Portfolio(Account account, IdSource next_id, const SymbolCatalog& catalog,
                     SlippageModel slippage)
    : Portfolio(PortfolioState{std::move(account), {}, {}, {}}, std::move(next_id), catalog,
                slippage) {}

Portfolio::Portfolio(PortfolioState state, IdSource next_id, const SymbolCatalog& catalog,
                     SlippageModel slippage)
    : state_(std::move(state)),
      next_id_(std::move(next_id)),
      catalog_(&catalog),
      slippage_(slippage) {}

const Position* Portfolio::position(std::string_view symbol) const {
    const auto it = state_.positions.find(symbol);
    return it == state_.positions.end() ? nullptr : &it->second;
}

const Order* Portfolio::open_order(std::string_view order_id) const {
    for (const auto& o : state_.open_orders) {
        if (o.id == order_id) {
            return &o;
        }
    }
    return nullptr;
}

std::expected<Changes, OrderError> Portfolio::place_order(const OrderRequest& r,
                                                          Decimal market_price,
                                                          std::int64_t now_ms) {
    const SymbolSpec* spec = spec_of(r.symbol);
    if (spec == nullptr) {
        return fail(OrderErrorCode::kUnknownSymbol, "symbol", "unknown symbol '" + r.symbol + "'");
    }
    if (r.quantity <= kZero) {
        return fail(OrderErrorCode::kInvalidQuantity, "quantity", "quantity must be positive");
    }
    if (!is_multiple_of(r.quantity, spec->step_size)) {
        return fail(OrderErrorCode::kInvalidQuantity, "quantity",
                    "quantity must be a multiple of the step size " + spec->step_size.to_string());
    }
    if (market_price <= kZero) {
        return fail(OrderErrorCode::kInvalidPrice, "price", "no market price for " + r.symbol);
    }
    const bool buy = r.side == Side::kBuy;
    if (r.type == OrderType::kMarket) {
        if (r.price) {
            return fail(OrderErrorCode::kInvalidPrice, "price", "a market order takes no price");
        }
    } else {
        if (!r.price) {
            return fail(OrderErrorCode::kInvalidPrice, "price",
                        std::string("price is required for a ") + std::string(to_string(r.type)) +
                            " order");
        }
        if (*r.price <= kZero || !is_multiple_of(*r.price, spec->tick_size)) {
            return fail(OrderErrorCode::kInvalidPrice, "price",
                        "price must be a positive multiple of the tick size " +
                            spec->tick_size.to_string());
        }
    }
    if (r.type == OrderType::kStopLimit) {
        if (!r.stop_price || *r.stop_price <= kZero ||
            !is_multiple_of(*r.stop_price, spec->tick_size)) {
            return fail(OrderErrorCode::kInvalidPrice, "stop_price",
                        "stop_price must be a positive multiple of the tick size " +
                            spec->tick_size.to_string());
        }
        if (buy ? *r.stop_price <= market_price : *r.stop_price >= market_price) {
            return fail(OrderErrorCode::kInvalidPrice, "stop_price",
                        std::string("stop_price must be ") + (buy ? "above" : "below") +
                            " the market price " + market_price.to_string());
        }
    } else if (r.stop_price) {
        return fail(OrderErrorCode::kInvalidPrice, "stop_price",
                    "only stop_limit orders take a stop_price");
    }

    const Position* pos = position(r.symbol);
    const int max_leverage = std::min(spec->max_leverage, kMaxLeverage);
    // One leverage per symbol, so a resting order never fills at a leverage it did not reserve
    // for.
    const std::optional<int> held = symbol_leverage(state_, r.symbol);
    const int leverage = r.leverage.value_or(held.value_or(1));
    if (leverage < 1 || leverage > max_leverage) {
        return fail(
            OrderErrorCode::kInvalidLeverage, "leverage",
            "leverage must be between 1 and " + std::to_string(max_leverage) + " for " + r.symbol);
    }
    if (held && leverage != *held) {
        return fail(OrderErrorCode::kInvalidLeverage, "leverage",
                    std::string("leverage must equal the ") +
                        (pos != nullptr ? "open position's" : "open orders'") + " leverage " +
                        std::to_string(*held));
    }
    const bool opposite = pos != nullptr && pos->side != position_side_of(r.side);
    if (r.reduce_only && !opposite) {
        return fail(OrderErrorCode::kReduceOnlyWouldIncrease, "reduce_only",
                    pos == nullptr ? "reduce_only order but there is no position to reduce"
                                   : "reduce_only order would increase the position");
    }
    const Decimal reference = r.type == OrderType::kMarket ? market_price : *r.price;
    const Protection protection{r.stop_loss, r.take_profit, r.trailing_stop_pct};
    if (auto invalid =
            validate_protection(position_side_of(r.side), reference, *spec, protection)) {
        return std::unexpected(std::move(*invalid));
    }

    Command c(state_, now_ms, next_id_);
    auto& m = c.m;
    const Decimal order_notional = m.mul(r.quantity, reference);
    if (m.overflowed()) {
        return order_too_large();
    }
    if (!r.reduce_only && order_notional < spec->min_notional) {
        return fail(OrderErrorCode::kBelowMinNotional, "quantity",
                    "order value must be at least " + spec->min_notional.to_string() + " USDT");
    }

    // What executes now, and at what price.
    bool fill_now = r.type == OrderType::kMarket;
    Decimal fill_price;
    if (r.type != OrderType::kStopLimit) {
        const Decimal slipped =
            m.take(slippage_.fill_price(r.side, market_price, r.quantity, spec->tick_size));
        if (r.type == OrderType::kMarket) {
            fill_price = slipped;
        } else if (buy ? *r.price >= market_price : *r.price <= market_price) {
            fill_now = true;
            fill_price = buy ? std::min(slipped, *r.price) : std::max(slipped, *r.price);
        }
    }

    // Only the part that opens or grows a position needs margin; a reducing part frees it.
    const Decimal opening_qty = opening_quantity(m, pos, r.side, r.quantity, r.reduce_only);
    const FeeModel fees = c.next.account.fee_model();
    const Decimal price_for_margin = fill_now ? fill_price : *r.price;
    const Liquidity liquidity =
        fill_now || r.type == OrderType::kStopLimit ? Liquidity::kTaker : Liquidity::kMaker;
    const Decimal opening_notional = m.mul(opening_qty, price_for_margin);
    const Decimal required = m.add(m.take(initial_margin(opening_notional, leverage)),
                                   m.take(fees.fee(opening_notional, liquidity)));
    c.set_mark(r.symbol, market_price);
    const auto before = account_view(c.next, c.next.marks);
    if (m.overflowed()) {
        return order_too_large();
    }
    if (!before) {
        return overflow();
    }
    if (required > kZero && required > before->free_margin) {
        return fail(OrderErrorCode::kInsufficientMargin, "quantity",
                    "order needs " + required.to_string() + " USDT of free margin, " +
                        std::max(kZero, before->free_margin).to_string() + " available");
    }

    Order order{next_id_(),
                c.user(),
                r.client_order_id,
                r.symbol,
                r.side,
                r.type,
                OrderStatus::kOpen,
                r.quantity,
                r.price,
                r.stop_price,
                leverage,
                r.reduce_only,
                false,
                kZero,
                std::nullopt,
                kZero,
                r.stop_loss,
                r.take_profit,
                r.trailing_stop_pct,
                kZero,
                now_ms,
                now_ms};
    c.touch_order(order.id);
    if (fill_now) {
        const auto fill = execute(
            c, Execution{order.id, r.symbol, r.side, r.quantity, fill_price, Liquidity::kTaker,
                         leverage, r.reduce_only, protection, CloseReason::kManual});
        order.status = OrderStatus::kFilled;
        order.filled_quantity = fill->quantity;
        order.average_price = fill->price;
        order.fees = fill->fee;
        c.finished[order.id] = std::move(order);
    } else {
        order.reserved_margin = required;
        c.next.open_orders.push_back(std::move(order));
    }
    if (m.overflowed()) {
        return overflow();
    }
    return commit(c, state_);
}

std::expected<Changes, OrderError> Portfolio::cancel_order(std::string_view order_id,
                                                           std::int64_t now_ms) {
    if (open_order(order_id) == nullptr) {
        return fail(OrderErrorCode::kOrderNotOpen, "order_id",
                    "order " + std::string(order_id) + " is not open");
    }
    Command c(state_, now_ms, next_id_);
    auto& book = c.next.open_orders;
    const auto it =
        std::find_if(book.begin(), book.end(), [&](const Order& o) { return o.id == order_id; });
    Order done = std::move(*it);
    book.erase(it);
    done.status = OrderStatus::kCancelled;
    done.reserved_margin = kZero;
    done.updated_ms = now_ms;
    const std::string id = done.id;
    c.finished[id] = std::move(done);
    c.touch_order(id);
    return commit(c, state_);
}

Changes Portfolio::on_price(std::string_view symbol, Decimal price, std::int64_t now_ms) {
    if (price <= kZero) {
        return {};
    }
    const SymbolSpec* spec = spec_of(symbol);
    const auto pos = state_.positions.find(symbol);
    bool acts = pos != state_.positions.end() &&
                position_action(pos->second, price) != PositionAction::kNone;
    for (const auto& o : state_.open_orders) {
        acts = acts || (o.symbol == symbol && order_action(o, price) != OrderAction::kNone);
    }
    if (!acts || spec == nullptr) {
        // Nothing triggers: only the last price moves (the common case, kept cheap).
        if (const auto it = state_.marks.find(symbol); it != state_.marks.end()) {
            it->second = price;
        } else {
            state_.marks.emplace(std::string(symbol), price);
        }
        return {};
    }
    Command c(state_, now_ms, next_id_);
    const std::string name(symbol);
    process_position(c, name, price);
    process_orders(c, *spec, slippage_, name, price);
    // A resting order filled on a gap may open a position already beyond its own liquidation
    // or stop price: it is settled on this tick, at prices this move went through.
    process_position(c, name, price);
    c.set_mark(symbol, price);
    if (c.m.overflowed()) {
        return {};  // leaves the book as it was rather than apply half a tick
    }
    return commit(c, state_);
}

TriggerBand Portfolio::trigger_band(std::string_view symbol) const {
    TriggerBand band;
    // at_or_below: the book acts when the price falls to it; otherwise when it rises to it.
    const auto widen = [&band](bool at_or_below, std::optional<Decimal> price) {
        auto& edge = at_or_below ? band.lower : band.upper;
        if (price && (!edge || (at_or_below ? *price > *edge : *price < *edge))) {
            edge = price;
        }
    };
    if (const Position* p = position(symbol)) {
        const bool long_side = is_long(p->side);
        widen(long_side, liquidation_price(p->side, p->entry_price, p->leverage));
        widen(long_side, p->stop_loss);
        widen(!long_side, p->take_profit);
        if (p->trailing_anchor) {
            widen(long_side, trailing_stop_price(*p));
            // the anchor ratchets on any strictly better price: one unit beyond it
            widen(!long_side,
                  checked_add(*p->trailing_anchor, Decimal::from_units(long_side ? 1 : -1)));
        }
    }
    for (const auto& o : state_.open_orders) {
        if (o.symbol != symbol) {
            continue;
        }
        const bool buy = o.side == Side::kBuy;
        if (o.type == OrderType::kStopLimit && !o.triggered) {
            widen(!buy, o.stop_price);
        } else {
            widen(buy, o.price);
        }
    }
    return band;
}

std::expected<Changes, OrderError> Portfolio::close_position(std::string_view symbol,
                                                             std::optional<Decimal> quantity,
                                                             Decimal price, CloseReason reason,
                                                             std::int64_t now_ms) {
    const auto target = find_target(state_, *catalog_, symbol, price);
    if (!target) {
        return std::unexpected(target.error());
    }
    const Position* p = target->position;
    const SymbolSpec* spec = target->spec;
    if (quantity && (*quantity <= kZero || !is_multiple_of(*quantity, spec->step_size) ||
                     *quantity > p->quantity)) {
        return fail(OrderErrorCode::kInvalidQuantity, "quantity",
                    "quantity must be a positive multiple of the step size " +
                        spec->step_size.to_string() + " and at most the position's " +
                        p->quantity.to_string());
    }
    const Decimal close_qty = quantity.value_or(p->quantity);
    const auto liquidation = liquidation_price(p->side, p->entry_price, p->leverage);
    if (!liquidation) {
        return overflow();
    }
    Command c(state_, now_ms, next_id_);
    const std::string name(symbol);
    if (reason == CloseReason::kLiquidation || liquidation_reached(p->side, *liquidation, price)) {
        liquidate(c, name, *liquidation);
    } else {
        const Side side = closing_side(p->side);
        const bool at_market = reason == CloseReason::kManual || reason == CloseReason::kBot;
        const Decimal fill_price =
            at_market ? c.m.take(slippage_.fill_price(side, price, close_qty, spec->tick_size))
                      : price;
        execute(c, Execution{"",
                             name,
                             side,
                             close_qty,
                             fill_price,
                             Liquidity::kTaker,
                             p->leverage,
                             true,
                             {},
                             reason});
    }
    c.set_mark(symbol, price);
    if (c.m.overflowed()) {
        return overflow();
    }
    return commit(c, state_);
}

std::expected<Changes, OrderError> Portfolio::set_protection(std::string_view symbol,
                                                             const ProtectionUpdate& update,
                                                             Decimal price, std::int64_t now_ms) {
    const auto target = find_target(state_, *catalog_, symbol, price);
    if (!target) {
        return std::unexpected(target.error());
    }
    const Position* p = target->position;
    const SymbolSpec* spec = target->spec;
    const Protection requested{update.stop_loss.value_or(std::nullopt),
                               update.take_profit.value_or(std::nullopt),
                               update.trailing_stop_pct.value_or(std::nullopt)};
    if (auto invalid = validate_protection(p->side, price, *spec, requested)) {
        return std::unexpected(std::move(*invalid));
    }
    Command c(state_, now_ms, next_id_);
    Position& q = c.next.positions.find(symbol)->second;
    if (update.stop_loss) {
        q.stop_loss = *update.stop_loss;
    }
    if (update.take_profit) {
        q.take_profit = *update.take_profit;
    }
    if (update.trailing_stop_pct) {
        q.trailing_stop_pct = *update.trailing_stop_pct;
        q.trailing_anchor = *update.trailing_stop_pct ? std::optional(price) : std::nullopt;
    }
    q.updated_ms = now_ms;
    c.touch_symbol(q.symbol);
    c.set_mark(symbol, price);
    return commit(c, state_);
}

std::expected<Changes, OrderError> Portfolio::apply_funding(std::string_view symbol, Decimal mark,
                                                            Decimal rate, std::int64_t now_ms) {
    if (mark <= kZero) {
        return fail(OrderErrorCode::kInvalidPrice, "mark", "mark price must be positive");
    }
    const Position* p = position(symbol);
    const std::int64_t period = funding_period(now_ms);
    if (p == nullptr || p->last_funding_period >= period) {
        return Changes{};
    }
    const auto amount = funding_payment(p->side, p->quantity, mark, rate);
    if (!amount) {
        return overflow();
    }
    Command c(state_, now_ms, next_id_);
    Position& q = c.next.positions.find(symbol)->second;
    Account& account = c.next.account;
    account.balance = c.m.sub(account.balance, *amount);
    account.funding_paid = c.m.add(account.funding_paid, *amount);
    q.last_funding_period = period;
    q.updated_ms = now_ms;
    c.changes.funding.push_back(FundingPayment{c.user(), q.symbol, q.side, q.quantity, mark, rate,
                                               *amount, period, now_ms});
    c.touch_symbol(q.symbol);
    if (c.m.overflowed()) {
        return overflow();
    }
    return commit(c, state_);
}

Changes Portfolio::reset(std::int64_t now_ms) {
    Command c(state_, now_ms, next_id_);
    for (auto& o : c.next.open_orders) {
        o.status = OrderStatus::kCancelled;
        o.reserved_margin = kZero;
        o.updated_ms = now_ms;
        c.touch_order(o.id);
        c.finished[o.id] = std::move(o);
    }
    c.next.open_orders.clear();
    for (const auto& [symbol, position] : c.next.positions) {
        c.touch_symbol(symbol);
    }
    c.next.positions.clear();
    Account& account = c.next.account;
    account.balance = account.initial_balance;
    account.realized_pnl = kZero;
    account.fees_paid = kZero;
    account.funding_paid = kZero;
    return commit(c, state_);
}

std::expected<AccountView, OrderError> Portfolio::view(const MarkPrices& marks) const {
    return account_view(state_, marks);
}

std::expected<AccountView, OrderError> account_view(const PortfolioState& state,
                                                    const MarkPrices& marks) {
    CheckedMath m;
    AccountView v;
    v.currency = state.account.currency;
    v.balance = state.account.balance;
    for (const auto& [symbol, p] : state.positions) {
        const auto mark = marks.find(symbol);
        const Decimal price = mark != marks.end() ? mark->second : p.entry_price;
        v.unrealized_pnl = m.add(v.unrealized_pnl, m.take(unrealized_pnl(p, price)));
        v.margin_used = m.add(v.margin_used, p.margin);
    }
    for (const auto& o : state.open_orders) {
        v.reserved_margin = m.add(v.reserved_margin, o.reserved_margin);
    }
    v.equity = m.add(v.balance, v.unrealized_pnl);
    v.free_margin = m.sub(m.sub(v.equity, v.margin_used), v.reserved_margin);
    if (v.margin_used > kZero) {
        v.margin_level = m.div(v.equity, v.margin_used);
    }
    v.realized_pnl = state.account.realized_pnl;
    v.fees_paid = state.account.fees_paid;
    v.funding_paid = state.account.funding_paid;
    if (m.overflowed()) {
        return overflow();
    }
    return v;
}

}  // namespace botcore::domain
