// SqliteStore's TradingStore half: books, write-through of command changes (group commit)
// and keyset-paginated history.
#include <algorithm>

#include <fmt/format.h>

#include "adapters/sqlite/sqlite_store.hpp"

namespace botcore::adapters::sqlite {

namespace {

using domain::Decimal;

std::optional<std::int64_t> units(const std::optional<Decimal>& value) {
    return value ? std::optional<std::int64_t>(value->units()) : std::nullopt;
}

void bind_optional(Statement& stmt, int index, const std::optional<std::int64_t>& value) {
    if (value) {
        stmt.bind(index, *value);
    } else {
        stmt.bind_null(index);
    }
}

void bind_optional(Statement& stmt, int index, const std::optional<std::string>& value) {
    if (value) {
        stmt.bind(index, *value);
    } else {
        stmt.bind_null(index);
    }
}

Decimal decimal(const Statement& stmt, int column) {
    return Decimal::from_units(stmt.integer(column));
}

std::optional<Decimal> optional_decimal(const Statement& stmt, int column) {
    return stmt.is_null(column) ? std::nullopt : std::optional<Decimal>(decimal(stmt, column));
}

// A stored enum that does not parse means the database was written by something else.
template <class T>
T parsed(std::optional<T> value, std::string_view what) {
    if (!value) {
        throw ports::StoreUnavailable(fmt::format("unreadable {} in the store", what));
    }
    return *value;
}

constexpr const char* kOrderColumns =
    "id, user_id, client_order_id, symbol, side, type, status, quantity, price, stop_price, "
    "leverage, reduce_only, triggered, filled_quantity, average_price, fees, stop_loss, "
    "take_profit, trailing_stop_pct, reserved_margin, created_ms, updated_ms";

domain::Order read_order(const Statement& s) {
    domain::Order o;
    o.id = s.text(0);
    o.user_id = s.text(1);
    o.client_order_id = s.is_null(2) ? std::nullopt : std::optional<std::string>(s.text(2));
    o.symbol = s.text(3);
    o.side = parsed(domain::parse_side(s.text(4)), "order side");
    o.type = parsed(domain::parse_order_type(s.text(5)), "order type");
    o.status = parsed(domain::parse_order_status(s.text(6)), "order status");
    o.quantity = decimal(s, 7);
    o.price = optional_decimal(s, 8);
    o.stop_price = optional_decimal(s, 9);
    o.leverage = static_cast<int>(s.integer(10));
    o.reduce_only = s.integer(11) != 0;
    o.triggered = s.integer(12) != 0;
    o.filled_quantity = decimal(s, 13);
    o.average_price = optional_decimal(s, 14);
    o.fees = decimal(s, 15);
    o.stop_loss = optional_decimal(s, 16);
    o.take_profit = optional_decimal(s, 17);
    o.trailing_stop_pct = optional_decimal(s, 18);
    o.reserved_margin = decimal(s, 19);
    o.created_ms = s.integer(20);
    o.updated_ms = s.integer(21);
    return o;
}

constexpr const char* kPositionColumns =
    "user_id, symbol, side, quantity, entry_price, leverage, margin, stop_loss, take_profit, "
    "trailing_stop_pct, trailing_anchor, trade_id, open_fees, last_funding_period, opened_ms, "
    "updated_ms";

domain::Position read_position(const Statement& s) {
    domain::Position p;
    p.user_id = s.text(0);
    p.symbol = s.text(1);
    p.side = parsed(domain::parse_position_side(s.text(2)), "position side");
    p.quantity = decimal(s, 3);
    p.entry_price = decimal(s, 4);
    p.leverage = static_cast<int>(s.integer(5));
    p.margin = decimal(s, 6);
    p.stop_loss = optional_decimal(s, 7);
    p.take_profit = optional_decimal(s, 8);
    p.trailing_stop_pct = optional_decimal(s, 9);
    p.trailing_anchor = optional_decimal(s, 10);
    p.trade_id = s.text(11);
    p.open_fees = decimal(s, 12);
    p.last_funding_period = s.integer(13);
    p.opened_ms = s.integer(14);
    p.updated_ms = s.integer(15);
    return p;
}

constexpr const char* kTradeColumns =
    "id, user_id, position_id, symbol, side, quantity, entry_price, exit_price, leverage, "
    "realized_pnl, fees, close_reason, entry_time, exit_time";

domain::Trade read_trade(const Statement& s) {
    domain::Trade t;
    t.id = s.text(0);
    t.user_id = s.text(1);
    t.position_id = s.text(2);
    t.symbol = s.text(3);
    t.side = parsed(domain::parse_position_side(s.text(4)), "trade side");
    t.quantity = decimal(s, 5);
    t.entry_price = decimal(s, 6);
    t.exit_price = decimal(s, 7);
    t.leverage = static_cast<int>(s.integer(8));
    t.realized_pnl = decimal(s, 9);
    t.fees = decimal(s, 10);
    t.close_reason = parsed(domain::parse_close_reason(s.text(11)), "close reason");
    t.opened_ms = s.integer(12);
    t.closed_ms = s.integer(13);
    return t;
}

// Every row of a stepped statement, read with read_row.
template <class ReadRow>
auto collect(Statement& stmt, ReadRow read_row) {
    std::vector<decltype(read_row(stmt))> out;
    while (stmt.step()) {
        out.push_back(read_row(stmt));
    }
    return out;
}

// Advances the book's revision if it is still the one the write is based on.
void write_account(Connection& c, const domain::Account& a, std::int64_t now_ms,
                   std::int64_t revision) {
    c.prepare(
         "UPDATE accounts SET balance = ?, realized_pnl = ?, fees_paid = ?, funding_paid = ?, "
         "initial_balance = ?, updated_ms = MAX(updated_ms, ?), revision = revision + 1 "
         "WHERE user_id = ? AND revision = ?")
        .bind_all(a.balance.units(), a.realized_pnl.units(), a.fees_paid.units(),
                  a.funding_paid.units(), a.initial_balance.units(), now_ms, a.user_id, revision)
        .step();
    if (sqlite3_changes64(c.handle()) != 1) {
        throw ports::WriteConflict("the book of " + a.user_id + " changed since it was read");
    }
}

#define BOTCORE_ORDER_INSERT                                                                     \
    "INSERT INTO orders (id, user_id, client_order_id, symbol, side, type, status, quantity, "   \
    "price, stop_price, leverage, reduce_only, triggered, filled_quantity, average_price, "      \
    "fees, stop_loss, take_profit, trailing_stop_pct, reserved_margin, created_ms, updated_ms, " \
    "liquidity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
// A new order is a plain insert: an id already taken fails the write rather than overwriting
// that order.
constexpr const char* kInsertOrder = BOTCORE_ORDER_INSERT;
constexpr const char* kWriteOrder = BOTCORE_ORDER_INSERT
    " ON CONFLICT (user_id, id) DO UPDATE SET status = excluded.status, "
    "triggered = excluded.triggered, filled_quantity = excluded.filled_quantity, "
    "average_price = excluded.average_price, fees = excluded.fees, "
    "reserved_margin = excluded.reserved_margin, updated_ms = excluded.updated_ms, "
    "liquidity = COALESCE(excluded.liquidity, liquidity)";
#undef BOTCORE_ORDER_INSERT

void write_order(Connection& c, const domain::Order& o, std::optional<domain::Liquidity> liquidity,
                 bool created) {
    auto stmt = c.prepare(created ? kInsertOrder : kWriteOrder);
    stmt.bind(1, o.id).bind(2, o.user_id);
    bind_optional(stmt, 3, o.client_order_id);
    stmt.bind(4, o.symbol)
        .bind(5, to_string(o.side))
        .bind(6, to_string(o.type))
        .bind(7, to_string(o.status));
    stmt.bind(8, o.quantity.units());
    bind_optional(stmt, 9, units(o.price));
    bind_optional(stmt, 10, units(o.stop_price));
    stmt.bind(11, o.leverage).bind(12, o.reduce_only ? 1 : 0).bind(13, o.triggered ? 1 : 0);
    stmt.bind(14, o.filled_quantity.units());
    bind_optional(stmt, 15, units(o.average_price));
    stmt.bind(16, o.fees.units());
    bind_optional(stmt, 17, units(o.stop_loss));
    bind_optional(stmt, 18, units(o.take_profit));
    bind_optional(stmt, 19, units(o.trailing_stop_pct));
    stmt.bind(20, o.reserved_margin.units()).bind(21, o.created_ms).bind(22, o.updated_ms);
    bind_optional(stmt, 23,
                  liquidity ? std::optional<std::string>(to_string(*liquidity)) : std::nullopt);
    stmt.step();
}

void write_position(Connection& c, const domain::Position& p) {
    auto stmt = c.prepare(
        "INSERT OR REPLACE INTO positions (user_id, symbol, side, quantity, entry_price, leverage, "
        "margin, stop_loss, take_profit, trailing_stop_pct, trailing_anchor, trade_id, open_fees, "
        "last_funding_period, opened_ms, updated_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    stmt.bind(1, p.user_id)
        .bind(2, p.symbol)
        .bind(3, to_string(p.side))
        .bind(4, p.quantity.units());
    stmt.bind(5, p.entry_price.units()).bind(6, p.leverage).bind(7, p.margin.units());
    bind_optional(stmt, 8, units(p.stop_loss));
    bind_optional(stmt, 9, units(p.take_profit));
    bind_optional(stmt, 10, units(p.trailing_stop_pct));
    bind_optional(stmt, 11, units(p.trailing_anchor));
    stmt.bind(12, p.trade_id).bind(13, p.open_fees.units()).bind(14, p.last_funding_period);
    stmt.bind(15, p.opened_ms).bind(16, p.updated_ms);
    stmt.step();
}

void write_trade(Connection& c, const domain::Trade& t) {
    c.prepare(
         "INSERT INTO trades (id, user_id, position_id, symbol, side, quantity, entry_price, "
         "exit_price, leverage, realized_pnl, fees, close_reason, entry_time, exit_time) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind_all(t.id, t.user_id, t.position_id, t.symbol, to_string(t.side), t.quantity.units(),
                  t.entry_price.units(), t.exit_price.units(), t.leverage, t.realized_pnl.units(),
                  t.fees.units(), to_string(t.close_reason), t.opened_ms, t.closed_ms)
        .step();
}

void write_changes(Connection& c, const ports::TradingWrite& write) {
    const auto& changes = write.changes;
    const auto& user_id = write.account.user_id;
    // Checked first: a stale write stops before touching anything else.
    write_account(c, write.account, changes.latest_ms(), write.revision);
    for (const auto& order : changes.orders) {
        std::optional<domain::Liquidity> liquidity;
        for (const auto& fill : changes.fills) {
            if (fill.order_id == order.id) {
                liquidity = fill.liquidity;
            }
        }
        write_order(
            c, order, liquidity,
            std::ranges::find(changes.created_orders, order.id) != changes.created_orders.end());
    }
    for (const auto& symbol : changes.closed_positions) {
        c.prepare("DELETE FROM positions WHERE user_id = ? AND symbol = ?")
            .bind_all(user_id, symbol)
            .step();
    }
    for (const auto& position : changes.positions) {
        write_position(c, position);
    }
    for (const auto& trade : changes.trades) {
        write_trade(c, trade);
    }
    for (const auto& payment : changes.funding) {
        // The primary key (user, symbol, period) makes a second charge for a period fail the
        // whole command instead of charging twice.
        c.prepare(
             "INSERT INTO funding_payments (user_id, symbol, period, side, quantity, mark, rate, "
             "amount, time_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind_all(user_id, payment.symbol, payment.period, to_string(payment.side),
                      payment.quantity.units(), payment.mark.units(), payment.rate.units(),
                      payment.amount.units(), payment.time_ms)
            .step();
    }
}

}  // namespace

std::optional<std::int64_t> SqliteStore::book_revision(std::string_view user_id) {
    auto connection = reader();
    auto s = connection->prepare("SELECT revision FROM accounts WHERE user_id = ?");
    s.bind(1, user_id);
    return s.step() ? std::optional(s.integer(0)) : std::nullopt;
}

std::optional<domain::PortfolioState> SqliteStore::load_portfolio(std::string_view user_id) {
    auto connection = reader();
    // One read transaction, so the account, positions and orders are one consistent snapshot.
    connection->exec("BEGIN");
    struct EndRead {
        Connection* c;
        ~EndRead() { sqlite3_exec(c->handle(), "COMMIT", nullptr, nullptr, nullptr); }
    } end_read{connection.operator->()};

    domain::PortfolioState state;
    {
        auto s = connection->prepare(
            "SELECT currency, initial_balance, balance, realized_pnl, fees_paid, funding_paid, "
            "maker_fee_rate, taker_fee_rate, revision FROM accounts WHERE user_id = ?");
        s.bind(1, user_id);
        if (!s.step()) {
            return std::nullopt;
        }
        auto& a = state.account;
        a.user_id = std::string(user_id);
        a.currency = s.text(0);
        a.initial_balance = decimal(s, 1);
        a.balance = decimal(s, 2);
        a.realized_pnl = decimal(s, 3);
        a.fees_paid = decimal(s, 4);
        a.funding_paid = decimal(s, 5);
        a.maker_fee_rate = decimal(s, 6);
        a.taker_fee_rate = decimal(s, 7);
        state.revision = s.integer(8);
    }
    {
        static const std::string sql =
            fmt::format("SELECT {} FROM positions WHERE user_id = ?", kPositionColumns);
        auto s = connection->prepare(sql.c_str());
        s.bind(1, user_id);
        while (s.step()) {
            auto position = read_position(s);
            state.positions.emplace(position.symbol, std::move(position));
        }
    }
    {
        static const std::string sql = fmt::format(
            "SELECT {} FROM orders WHERE user_id = ? AND status = 'open' ORDER BY created_ms, id",
            kOrderColumns);
        auto s = connection->prepare(sql.c_str());
        s.bind(1, user_id);
        while (s.step()) {
            state.open_orders.push_back(read_order(s));
        }
    }
    return state;
}

void SqliteStore::commit(ports::TradingWrite write, Done done) {
    committer_->submit([write = std::move(write)](Connection& c) { write_changes(c, write); },
                       std::move(done));
}

std::optional<domain::Order> SqliteStore::find_order(std::string_view user_id,
                                                     std::string_view order_id) {
    static const std::string sql =
        fmt::format("SELECT {} FROM orders WHERE user_id = ? AND id = ?", kOrderColumns);
    auto connection = reader();
    auto s = connection->prepare(sql.c_str());
    s.bind_all(user_id, order_id);
    return s.step() ? std::optional<domain::Order>(read_order(s)) : std::nullopt;
}

std::optional<domain::Order> SqliteStore::find_order_by_client_id(
    std::string_view user_id, std::string_view client_order_id) {
    static const std::string sql = fmt::format(
        "SELECT {} FROM orders WHERE user_id = ? AND client_order_id = ?", kOrderColumns);
    auto connection = reader();
    auto s = connection->prepare(sql.c_str());
    s.bind_all(user_id, client_order_id);
    return s.step() ? std::optional<domain::Order>(read_order(s)) : std::nullopt;
}

std::vector<domain::Fill> SqliteStore::fills(std::string_view user_id, std::string_view order_id) {
    // An order fills once and in full; its row carries that fill.
    auto connection = reader();
    auto s = connection->prepare(
        "SELECT id, symbol, side, filled_quantity, average_price, fees, liquidity, updated_ms "
        "FROM orders WHERE user_id = ? AND id = ? AND liquidity IS NOT NULL");
    s.bind_all(user_id, order_id);
    return collect(s, [](const Statement& row) {
        return domain::Fill{row.text(0),
                            row.text(1),
                            parsed(domain::parse_side(row.text(2)), "order side"),
                            decimal(row, 3),
                            decimal(row, 4),
                            decimal(row, 5),
                            parsed(domain::parse_liquidity(row.text(6)), "fill liquidity"),
                            row.integer(7)};
    });
}

std::vector<domain::Order> SqliteStore::orders(std::string_view user_id,
                                               const ports::OrderQuery& query) {
    // Optional filters as "? IS NULL OR column = ?" keep one prepared statement for all cases.
    static const std::string sql = fmt::format(
        "SELECT {} FROM orders WHERE user_id = ?1 AND (?2 IS NULL OR status = ?2) "
        "AND (?3 IS NULL OR symbol = ?3) AND (?5 IS NULL OR id < ?5) "
        "ORDER BY id DESC LIMIT ?6",
        kOrderColumns);
    auto connection = reader();
    auto s = connection->prepare(sql.c_str());
    s.bind(1, user_id);
    bind_optional(
        s, 2, query.status ? std::optional<std::string>(to_string(*query.status)) : std::nullopt);
    bind_optional(s, 3, query.symbol);
    bind_optional(s, 5, query.after ? std::optional<std::string>(query.after->id) : std::nullopt);
    s.bind(6, query.limit);
    return collect(s, read_order);
}

std::vector<domain::Trade> SqliteStore::trades(std::string_view user_id,
                                               const ports::TradeQuery& query) {
    static const std::string sql = fmt::format(
        "SELECT {} FROM trades WHERE user_id = ?1 AND (?2 IS NULL OR symbol = ?2) "
        "AND (?3 IS NULL OR exit_time >= ?3) AND (?4 IS NULL OR exit_time <= ?4) "
        "AND (?6 IS NULL OR id < ?6) ORDER BY id DESC LIMIT ?7",
        kTradeColumns);
    auto connection = reader();
    auto s = connection->prepare(sql.c_str());
    s.bind(1, user_id);
    bind_optional(s, 2, query.symbol);
    bind_optional(s, 3, query.from_ms);
    bind_optional(s, 4, query.to_ms);
    bind_optional(s, 6, query.after ? std::optional<std::string>(query.after->id) : std::nullopt);
    s.bind(7, query.limit);
    return collect(s, read_trade);
}

ports::TradeHistory SqliteStore::all_trades(std::string_view user_id) {
    // One statement, so one snapshot: the trades and the revision of the book they belong to.
    // No account: no row; no trade: one row of nulls but the revision.
    static const std::string sql = fmt::format(
        "SELECT {}, a.revision FROM (SELECT revision FROM accounts WHERE user_id = ?1) a "
        "LEFT JOIN trades ON trades.user_id = ?1 ORDER BY exit_time, id",
        kTradeColumns);
    auto connection = reader();
    auto s = connection->prepare(sql.c_str());
    s.bind(1, user_id);
    ports::TradeHistory history;
    while (s.step()) {
        history.revision = s.integer(14);
        if (!s.is_null(0)) {
            history.trades.push_back(read_trade(s));
        }
    }
    return history;
}

std::vector<std::string> SqliteStore::users_with_open_books() {
    auto connection = reader();
    auto s = connection->prepare(
        "SELECT user_id FROM positions UNION SELECT user_id FROM orders WHERE status = 'open'");
    return collect(s, [](const Statement& row) { return row.text(0); });
}

std::vector<std::string> SqliteStore::held_symbols() {
    auto connection = reader();
    auto s = connection->prepare(
        "SELECT symbol FROM positions UNION SELECT symbol FROM orders WHERE status = 'open' "
        "ORDER BY 1");
    return collect(s, [](const Statement& row) { return row.text(0); });
}

std::int64_t SqliteStore::open_positions() {
    auto connection = reader();
    auto s = connection->prepare("SELECT COUNT(*) FROM positions");
    s.step();
    return s.integer(0);
}

}  // namespace botcore::adapters::sqlite
