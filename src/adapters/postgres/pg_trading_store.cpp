// PgStore's TradingStore half: books, write-through of command changes (group commit) and
// keyset-paginated history.
#include <algorithm>

#include <fmt/format.h>

#include "adapters/postgres/pg_store.hpp"

namespace botcore::adapters::postgres {

namespace {

using domain::Decimal;

std::optional<std::int64_t> units(const std::optional<Decimal>& value) {
    return value ? std::optional<std::int64_t>(value->units()) : std::nullopt;
}

Decimal decimal(const Result& r, int row, int column) {
    return Decimal::from_units(r.integer(row, column));
}

std::optional<Decimal> optional_decimal(const Result& r, int row, int column) {
    return r.is_null(row, column) ? std::nullopt : std::optional<Decimal>(decimal(r, row, column));
}

// A stored enum that does not parse means the database was written by something else.
template <class T>
T parsed(std::optional<T> value, std::string_view what) {
    if (!value) {
        throw ports::StoreUnavailable(fmt::format("unreadable {} in the store", what));
    }
    return *value;
}

#define BOTCORE_ORDER_COLUMNS                                                                 \
    "id, user_id, client_order_id, symbol, side, type, status, quantity, price, stop_price, " \
    "leverage, reduce_only, triggered, filled_quantity, average_price, fees, stop_loss, "     \
    "take_profit, trailing_stop_pct, reserved_margin, created_ms, updated_ms"
#define BOTCORE_POSITION_COLUMNS                                                                \
    "user_id, symbol, side, quantity, entry_price, leverage, margin, stop_loss, take_profit, "  \
    "trailing_stop_pct, trailing_anchor, trade_id, open_fees, last_funding_period, opened_ms, " \
    "updated_ms"
#define BOTCORE_TRADE_COLUMNS                                                               \
    "id, user_id, position_id, symbol, side, quantity, entry_price, exit_price, leverage, " \
    "realized_pnl, fees, close_reason, entry_time, exit_time"

domain::Order read_order(const Result& r, int i) {
    domain::Order o;
    o.id = r.text(i, 0);
    o.user_id = r.text(i, 1);
    o.client_order_id = r.is_null(i, 2) ? std::nullopt : std::optional<std::string>(r.text(i, 2));
    o.symbol = r.text(i, 3);
    o.side = parsed(domain::parse_side(r.text(i, 4)), "order side");
    o.type = parsed(domain::parse_order_type(r.text(i, 5)), "order type");
    o.status = parsed(domain::parse_order_status(r.text(i, 6)), "order status");
    o.quantity = decimal(r, i, 7);
    o.price = optional_decimal(r, i, 8);
    o.stop_price = optional_decimal(r, i, 9);
    o.leverage = static_cast<int>(r.integer(i, 10));
    o.reduce_only = r.boolean(i, 11);
    o.triggered = r.boolean(i, 12);
    o.filled_quantity = decimal(r, i, 13);
    o.average_price = optional_decimal(r, i, 14);
    o.fees = decimal(r, i, 15);
    o.stop_loss = optional_decimal(r, i, 16);
    o.take_profit = optional_decimal(r, i, 17);
    o.trailing_stop_pct = optional_decimal(r, i, 18);
    o.reserved_margin = decimal(r, i, 19);
    o.created_ms = r.integer(i, 20);
    o.updated_ms = r.integer(i, 21);
    return o;
}

domain::Position read_position(const Result& r, int i) {
    domain::Position p;
    p.user_id = r.text(i, 0);
    p.symbol = r.text(i, 1);
    p.side = parsed(domain::parse_position_side(r.text(i, 2)), "position side");
    p.quantity = decimal(r, i, 3);
    p.entry_price = decimal(r, i, 4);
    p.leverage = static_cast<int>(r.integer(i, 5));
    p.margin = decimal(r, i, 6);
    p.stop_loss = optional_decimal(r, i, 7);
    p.take_profit = optional_decimal(r, i, 8);
    p.trailing_stop_pct = optional_decimal(r, i, 9);
    p.trailing_anchor = optional_decimal(r, i, 10);
    p.trade_id = r.text(i, 11);
    p.open_fees = decimal(r, i, 12);
    p.last_funding_period = r.integer(i, 13);
    p.opened_ms = r.integer(i, 14);
    p.updated_ms = r.integer(i, 15);
    return p;
}

domain::Trade read_trade(const Result& r, int i) {
    domain::Trade t;
    t.id = r.text(i, 0);
    t.user_id = r.text(i, 1);
    t.position_id = r.text(i, 2);
    t.symbol = r.text(i, 3);
    t.side = parsed(domain::parse_position_side(r.text(i, 4)), "trade side");
    t.quantity = decimal(r, i, 5);
    t.entry_price = decimal(r, i, 6);
    t.exit_price = decimal(r, i, 7);
    t.leverage = static_cast<int>(r.integer(i, 8));
    t.realized_pnl = decimal(r, i, 9);
    t.fees = decimal(r, i, 10);
    t.close_reason = parsed(domain::parse_close_reason(r.text(i, 11)), "close reason");
    t.opened_ms = r.integer(i, 12);
    t.closed_ms = r.integer(i, 13);
    return t;
}

template <class ReadRow>
auto collect(const Result& r, ReadRow read_row) {
    std::vector<decltype(read_row(r, 0))> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(read_row(r, i));
    }
    return out;
}

constexpr Sql kLoadAccount{
    "load_account",
    "SELECT currency, initial_balance, balance, realized_pnl, fees_paid, funding_paid, "
    "maker_fee_rate, taker_fee_rate, revision FROM accounts WHERE user_id = $1"};
constexpr Sql kBookRevision{"book_revision", "SELECT revision FROM accounts WHERE user_id = $1"};
constexpr Sql kLoadPositions{
    "load_positions", "SELECT " BOTCORE_POSITION_COLUMNS " FROM positions WHERE user_id = $1"};
constexpr Sql kLoadOpenOrders{"load_open_orders",
                              "SELECT " BOTCORE_ORDER_COLUMNS
                              " FROM orders WHERE user_id = $1 AND status = 'open' "
                              "ORDER BY created_ms, id"};
// The write of one command, in rank order (see Sql). Each has a bulk form that writes the rows of
// every command of a group-commit batch in one statement: $k is the array of every row's k-th
// value, and unnest() turns the arrays back into rows.
#define BOTCORE_ORDER_INSERT                                                                      \
    "INSERT INTO orders (id, user_id, client_order_id, symbol, side, type, status, quantity, "    \
    "price, stop_price, leverage, reduce_only, triggered, filled_quantity, average_price, fees, " \
    "stop_loss, take_profit, trailing_stop_pct, reserved_margin, created_ms, updated_ms, "        \
    "liquidity) "
#define BOTCORE_ORDER_UPSERT                                                         \
    " ON CONFLICT (user_id, id) DO UPDATE SET status = EXCLUDED.status, "            \
    "triggered = EXCLUDED.triggered, filled_quantity = EXCLUDED.filled_quantity, "   \
    "average_price = EXCLUDED.average_price, fees = EXCLUDED.fees, "                 \
    "reserved_margin = EXCLUDED.reserved_margin, updated_ms = EXCLUDED.updated_ms, " \
    "liquidity = COALESCE(EXCLUDED.liquidity, orders.liquidity)"
#define BOTCORE_ORDER_ROWS                                                                         \
    "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "            \
    "$6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::int[], "              \
    "$12::boolean[], $13::boolean[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[], " \
    "$18::bigint[], $19::bigint[], $20::bigint[], $21::bigint[], $22::bigint[], $23::text[])"
#define BOTCORE_ORDER_VALUES                                                               \
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, " \
    "$18, $19, $20, $21, $22, $23)"
// A new order is a plain insert: an id already taken fails the write rather than overwriting
// that order, and the insert skips the upsert's probe of the primary key.
constexpr Sql kInsertOrders{"insert_orders", BOTCORE_ORDER_INSERT BOTCORE_ORDER_ROWS};
constexpr Sql kInsertOrder{"insert_order", BOTCORE_ORDER_INSERT BOTCORE_ORDER_VALUES,
                           &kInsertOrders, 2, 1};
constexpr Sql kWriteOrders{"write_orders",
                           BOTCORE_ORDER_INSERT BOTCORE_ORDER_ROWS BOTCORE_ORDER_UPSERT};
constexpr Sql kWriteOrder{"write_order",
                          BOTCORE_ORDER_INSERT BOTCORE_ORDER_VALUES BOTCORE_ORDER_UPSERT,
                          &kWriteOrders, 3, 1};

constexpr Sql kDeletePositions{
    "delete_positions",
    "DELETE FROM positions p USING unnest($1::text[], $2::text[]) AS v (user_id, symbol) "
    "WHERE p.user_id = v.user_id AND p.symbol = v.symbol"};
constexpr Sql kDeletePosition{"delete_position",
                              "DELETE FROM positions WHERE user_id = $1 AND symbol = $2",
                              &kDeletePositions, 4, 0};

#define BOTCORE_POSITION_UPSERT                                                                \
    " ON CONFLICT (user_id, symbol) DO UPDATE SET side = EXCLUDED.side, "                      \
    "quantity = EXCLUDED.quantity, entry_price = EXCLUDED.entry_price, "                       \
    "leverage = EXCLUDED.leverage, margin = EXCLUDED.margin, stop_loss = EXCLUDED.stop_loss, " \
    "take_profit = EXCLUDED.take_profit, trailing_stop_pct = EXCLUDED.trailing_stop_pct, "     \
    "trailing_anchor = EXCLUDED.trailing_anchor, trade_id = EXCLUDED.trade_id, "               \
    "open_fees = EXCLUDED.open_fees, last_funding_period = EXCLUDED.last_funding_period, "     \
    "opened_ms = EXCLUDED.opened_ms, updated_ms = EXCLUDED.updated_ms"
constexpr Sql kWritePositions{
    "write_positions",
    "INSERT INTO positions (" BOTCORE_POSITION_COLUMNS
    ") SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], "
    "$6::int[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], "
    "$12::text[], $13::bigint[], $14::bigint[], $15::bigint[], "
    "$16::bigint[])" BOTCORE_POSITION_UPSERT};
constexpr Sql kWritePosition{"write_position",
                             "INSERT INTO positions (" BOTCORE_POSITION_COLUMNS
                             ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
                             "$14, $15, $16)" BOTCORE_POSITION_UPSERT,
                             &kWritePositions, 5, 0};

constexpr Sql kWriteTrades{
    "write_trades",
    "INSERT INTO trades (" BOTCORE_TRADE_COLUMNS
    ") SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "
    "$6::bigint[], $7::bigint[], $8::bigint[], $9::int[], $10::bigint[], $11::bigint[], "
    "$12::text[], $13::bigint[], $14::bigint[])"};
constexpr Sql kWriteTrade{"write_trade",
                          "INSERT INTO trades (" BOTCORE_TRADE_COLUMNS
                          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
                          "$14)",
                          &kWriteTrades, 6, 1};

// The primary key (user, symbol, period) makes a second charge for a period fail the whole
// command instead of charging twice.
#define BOTCORE_FUNDING_INSERT                                                                    \
    "INSERT INTO funding_payments (user_id, symbol, period, side, quantity, mark, rate, amount, " \
    "time_ms) "
constexpr Sql kWriteFundings{
    "write_fundings", BOTCORE_FUNDING_INSERT
    "SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], "
    "$6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[])"};
constexpr Sql kWriteFunding{"write_funding",
                            BOTCORE_FUNDING_INSERT "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                            &kWriteFundings, 7, 0};

// Advances each book's revision if it is still the one its write is based on; otherwise the
// statement fails (botcore_stale_write) and the batch is retried command by command, so only the
// stale write fails. Ranked first: a stale write stops before touching anything else, and
// every writer locks a user's account row before the user's other rows.
constexpr Sql kWriteAccounts{
    "write_accounts",
    "WITH v AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], "
    "$5::bigint[], $6::bigint[], $7::text[], $8::bigint[]) AS v (balance, realized_pnl, "
    "fees_paid, funding_paid, initial_balance, updated_ms, user_id, revision)), "
    "u AS (UPDATE accounts a SET balance = v.balance, realized_pnl = v.realized_pnl, "
    "fees_paid = v.fees_paid, funding_paid = v.funding_paid, "
    "initial_balance = v.initial_balance, updated_ms = GREATEST(a.updated_ms, v.updated_ms), "
    "revision = a.revision + 1 FROM v WHERE a.user_id = v.user_id AND a.revision = v.revision "
    "RETURNING 1) "
    "SELECT CASE WHEN (SELECT count(*) FROM u) = (SELECT count(*) FROM v) THEN 0 "
    "ELSE botcore_stale_write() END"};
constexpr Sql kWriteAccount{
    "write_account",
    "WITH u AS (UPDATE accounts SET balance = $1, realized_pnl = $2, fees_paid = $3, "
    "funding_paid = $4, initial_balance = $5, updated_ms = GREATEST(updated_ms, $6), "
    "revision = revision + 1 WHERE user_id = $7 AND revision = $8 RETURNING 1) "
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM u) THEN 0 ELSE botcore_stale_write() END",
    &kWriteAccounts, 1, 6};

// One row per batch, read by the other instances (PgStore::read_book_changes). Not a NOTIFY:
// PostgreSQL lets notifying transactions commit one at a time, each holding its turn until the
// synchronous replica has answered.
constexpr Sql kRecordBookChanges{"record_book_changes",
                                 "INSERT INTO book_changes (users, revisions, source) VALUES "
                                 "($1::text[], $2::bigint[], ($3::text[])[1])"};
constexpr Sql kRecordBookChange{"record_book_change",
                                "INSERT INTO book_changes (users, revisions, source) "
                                "VALUES (ARRAY[$1::text], ARRAY[$2::bigint], $3)",
                                &kRecordBookChanges, 8, 0};

constexpr Sql kFindOrder{
    "find_order", "SELECT " BOTCORE_ORDER_COLUMNS " FROM orders WHERE user_id = $1 AND id = $2"};
constexpr Sql kFindOrderByClientId{"find_order_by_client_id",
                                   "SELECT " BOTCORE_ORDER_COLUMNS
                                   " FROM orders WHERE user_id = $1 AND client_order_id = $2"};
constexpr Sql kFills{
    "fills",
    "SELECT id, symbol, side, filled_quantity, average_price, fees, liquidity, updated_ms "
    "FROM orders WHERE user_id = $1 AND id = $2 AND liquidity IS NOT NULL"};
constexpr Sql kOrders{"orders",
                      "SELECT " BOTCORE_ORDER_COLUMNS
                      " FROM orders WHERE user_id = $1 AND ($2::text IS NULL OR status = $2) "
                      "AND ($3::text IS NULL OR symbol = $3) AND ($4::text IS NULL OR id < $4) "
                      "ORDER BY id DESC LIMIT $5"};
constexpr Sql kTrades{"trades",
                      "SELECT " BOTCORE_TRADE_COLUMNS
                      " FROM trades WHERE user_id = $1 AND ($2::text IS NULL OR symbol = $2) "
                      "AND ($3::bigint IS NULL OR exit_time >= $3) "
                      "AND ($4::bigint IS NULL OR exit_time <= $4) "
                      "AND ($5::text IS NULL OR id < $5) ORDER BY id DESC LIMIT $6"};
// One statement, so one snapshot: the trades and the revision of the book they belong to. No
// account: no row; no trade: one row of nulls but the revision.
constexpr Sql kAllTrades{"all_trades",
                         "SELECT " BOTCORE_TRADE_COLUMNS
                         ", a.revision FROM (SELECT revision FROM accounts WHERE user_id = $1) a "
                         "LEFT JOIN trades ON trades.user_id = $1 ORDER BY exit_time, id"};
constexpr Sql kOpenBooks{
    "open_books",
    "SELECT user_id FROM positions UNION SELECT user_id FROM orders WHERE status = 'open'"};
constexpr Sql kOpenPositions{"open_positions", "SELECT COUNT(*) FROM positions"};
constexpr Sql kHeldSymbols{"held_symbols",
                           "SELECT symbol FROM positions UNION "
                           "SELECT symbol FROM orders WHERE status = 'open' ORDER BY 1"};

Command order_command(const domain::Order& o, std::optional<domain::Liquidity> liquidity,
                      bool created) {
    return {created ? &kInsertOrder : &kWriteOrder,
            Params::of(
                o.id, o.user_id, o.client_order_id, o.symbol, to_string(o.side), to_string(o.type),
                to_string(o.status), o.quantity.units(), units(o.price), units(o.stop_price),
                o.leverage, o.reduce_only, o.triggered, o.filled_quantity.units(),
                units(o.average_price), o.fees.units(), units(o.stop_loss), units(o.take_profit),
                units(o.trailing_stop_pct), o.reserved_margin.units(), o.created_ms, o.updated_ms,
                liquidity ? std::optional<std::string>(to_string(*liquidity)) : std::nullopt)};
}

Command position_command(const domain::Position& p) {
    return {&kWritePosition,
            Params::of(p.user_id, p.symbol, to_string(p.side), p.quantity.units(),
                       p.entry_price.units(), p.leverage, p.margin.units(), units(p.stop_loss),
                       units(p.take_profit), units(p.trailing_stop_pct), units(p.trailing_anchor),
                       p.trade_id, p.open_fees.units(), p.last_funding_period, p.opened_ms,
                       p.updated_ms)};
}

Command trade_command(const domain::Trade& t) {
    return {
        &kWriteTrade,
        Params::of(t.id, t.user_id, t.position_id, t.symbol, to_string(t.side), t.quantity.units(),
                   t.entry_price.units(), t.exit_price.units(), t.leverage, t.realized_pnl.units(),
                   t.fees.units(), to_string(t.close_reason), t.opened_ms, t.closed_ms)};
}

std::vector<Command> write_commands(const ports::TradingWrite& write, const std::string& tag) {
    const auto& changes = write.changes;
    const auto& user_id = write.account.user_id;
    const auto now_ms = changes.latest_ms();
    std::vector<Command> out;
    const auto& a = write.account;
    out.push_back(
        {&kWriteAccount, Params::of(a.balance.units(), a.realized_pnl.units(), a.fees_paid.units(),
                                    a.funding_paid.units(), a.initial_balance.units(), now_ms,
                                    a.user_id, write.revision)});
    const auto is_created = [&](const domain::Order& order) {
        return std::ranges::find(changes.created_orders, order.id) != changes.created_orders.end();
    };
    for (const bool created : {true, false}) {  // in rank order: new orders first
        for (const auto& order : changes.orders) {
            if (is_created(order) != created) {
                continue;
            }
            std::optional<domain::Liquidity> liquidity;
            for (const auto& fill : changes.fills) {
                if (fill.order_id == order.id) {
                    liquidity = fill.liquidity;
                }
            }
            out.push_back(order_command(order, liquidity, created));
        }
    }
    for (const auto& symbol : changes.closed_positions) {
        out.push_back({&kDeletePosition, Params::of(user_id, symbol)});
    }
    for (const auto& position : changes.positions) {
        out.push_back(position_command(position));
    }
    for (const auto& trade : changes.trades) {
        out.push_back(trade_command(trade));
    }
    for (const auto& payment : changes.funding) {
        out.push_back({&kWriteFunding,
                       Params::of(user_id, payment.symbol, payment.period, to_string(payment.side),
                                  payment.quantity.units(), payment.mark.units(),
                                  payment.rate.units(), payment.amount.units(), payment.time_ms)});
    }
    out.push_back({&kRecordBookChange, Params::of(user_id, write.revision + 1, tag)});
    return out;
}

}  // namespace

namespace {

// One statement, so one snapshot. Read are the batches of the transactions that had not ended
// at the previous read: those from its snapshot's xmax on and those it saw running ($1, $2);
// each transaction is read once, when it has ended, however long another one runs.
constexpr Sql kBookChangesSince{
    "book_changes_since",
    "WITH s AS (SELECT pg_current_snapshot() AS snapshot), "
    "c AS (SELECT b.xid, b.source, u.user_id, u.revision FROM book_changes b, "
    "unnest(b.users, b.revisions) AS u (user_id, revision) "
    "WHERE (b.xid >= $1::xid8 OR b.xid = ANY ($2::xid8[])) AND b.source <> $3) "
    "SELECT pg_snapshot_xmax(s.snapshot)::text, "
    "ARRAY(SELECT pg_snapshot_xip(s.snapshot))::text, c.user_id "
    "FROM s LEFT JOIN c ON true ORDER BY c.xid, c.revision"};

}  // namespace

void PgStore::read_book_changes(Connection& connection, Unended& unended) {
    const auto r =
        connection.run(kBookChangesSince, Params::of(unended.from, unended.running, instance_tag_));
    for (int i = 0; i < r.rows(); ++i) {
        if (!r.is_null(i, 2)) {
            book_changed(r.text(i, 2));
        }
    }
    unended = {r.text(0, 0), r.text(0, 1)};
}

std::optional<domain::PortfolioState> PgStore::load_portfolio(std::string_view user_id) {
    auto connection = primary_.acquire();
    // One snapshot for the account, positions and orders.
    Transaction tx(*connection, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const auto account = connection->run(kLoadAccount, Params::of(user_id));
    if (account.rows() == 0) {
        return std::nullopt;
    }
    domain::PortfolioState state;
    auto& a = state.account;
    a.user_id = std::string(user_id);
    a.currency = account.text(0, 0);
    a.initial_balance = decimal(account, 0, 1);
    a.balance = decimal(account, 0, 2);
    a.realized_pnl = decimal(account, 0, 3);
    a.fees_paid = decimal(account, 0, 4);
    a.funding_paid = decimal(account, 0, 5);
    a.maker_fee_rate = decimal(account, 0, 6);
    a.taker_fee_rate = decimal(account, 0, 7);
    state.revision = account.integer(0, 8);
    for (auto& position :
         collect(connection->run(kLoadPositions, Params::of(user_id)), read_position)) {
        auto symbol = position.symbol;
        state.positions.emplace(std::move(symbol), std::move(position));
    }
    state.open_orders = collect(connection->run(kLoadOpenOrders, Params::of(user_id)), read_order);
    tx.commit();
    return state;
}

std::optional<std::int64_t> PgStore::book_revision(std::string_view user_id) {
    auto connection = primary_.acquire();
    const auto r = connection->run(kBookRevision, Params::of(user_id));
    return r.rows() > 0 ? std::optional(r.integer(0, 0)) : std::nullopt;
}

void PgStore::commit(ports::TradingWrite write, Done done) {
    auto commands = write_commands(write, instance_tag_);
    committer_for(write.account.user_id).submit(std::move(commands), std::move(done));
}

std::optional<domain::Order> PgStore::find_order(std::string_view user_id,
                                                 std::string_view order_id) {
    auto connection = primary_.acquire();
    const auto r = connection->run(kFindOrder, Params::of(user_id, order_id));
    return r.rows() > 0 ? std::optional<domain::Order>(read_order(r, 0)) : std::nullopt;
}

std::optional<domain::Order> PgStore::find_order_by_client_id(std::string_view user_id,
                                                              std::string_view client_order_id) {
    auto connection = primary_.acquire();
    const auto r = connection->run(kFindOrderByClientId, Params::of(user_id, client_order_id));
    return r.rows() > 0 ? std::optional<domain::Order>(read_order(r, 0)) : std::nullopt;
}

std::vector<domain::Fill> PgStore::fills(std::string_view user_id, std::string_view order_id) {
    auto connection = primary_.acquire();
    return collect(
        connection->run(kFills, Params::of(user_id, order_id)), [](const Result& r, int i) {
            return domain::Fill{r.text(i, 0),
                                r.text(i, 1),
                                parsed(domain::parse_side(r.text(i, 2)), "order side"),
                                decimal(r, i, 3),
                                decimal(r, i, 4),
                                decimal(r, i, 5),
                                parsed(domain::parse_liquidity(r.text(i, 6)), "fill liquidity"),
                                r.integer(i, 7)};
        });
}

std::vector<domain::Order> PgStore::orders(std::string_view user_id,
                                           const ports::OrderQuery& query) {
    auto connection = primary_.acquire();
    const auto params = Params::of(
        user_id, query.status ? std::optional<std::string>(to_string(*query.status)) : std::nullopt,
        query.symbol, query.after ? std::optional<std::string>(query.after->id) : std::nullopt,
        query.limit);
    return collect(connection->run(kOrders, params), read_order);
}

std::vector<domain::Trade> PgStore::trades(std::string_view user_id,
                                           const ports::TradeQuery& query) {
    auto connection = query.fresh ? primary_.acquire() : router_->acquire(settings_.history);
    const auto params = Params::of(
        user_id, query.symbol, query.from_ms, query.to_ms,
        query.after ? std::optional<std::string>(query.after->id) : std::nullopt, query.limit);
    return collect(connection->run(kTrades, params), read_trade);
}

ports::TradeHistory PgStore::all_trades(std::string_view user_id) {
    auto connection = router_->acquire(settings_.history);
    const auto r = connection->run(kAllTrades, Params::of(user_id));
    ports::TradeHistory history;
    for (int i = 0; i < r.rows(); ++i) {
        history.revision = r.integer(i, 14);
        if (!r.is_null(i, 0)) {
            history.trades.push_back(read_trade(r, i));
        }
    }
    return history;
}

std::vector<std::string> PgStore::users_with_open_books() {
    auto connection = primary_.acquire();
    return collect(connection->run(kOpenBooks),
                   [](const Result& r, int i) { return r.text(i, 0); });
}

std::vector<std::string> PgStore::held_symbols() {
    auto connection = primary_.acquire();
    return collect(connection->run(kHeldSymbols),
                   [](const Result& r, int i) { return r.text(i, 0); });
}

std::int64_t PgStore::open_positions() {
    auto connection = primary_.acquire();
    return connection->run(kOpenPositions).integer(0, 0);
}

}  // namespace botcore::adapters::postgres
