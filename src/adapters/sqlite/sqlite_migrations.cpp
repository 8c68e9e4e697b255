#include "adapters/sqlite/sqlite_migrations.hpp"

#include <array>

namespace botcore::adapters::sqlite {

namespace {

// Money and quantities are INTEGER units of 1e-8 (domain::Decimal). Every per-user table
// keys on user_id first so the schema can be sharded by it. Tables with a composite or text
// key are WITHOUT ROWID: a row lives in its key's B-tree, so a write touches one tree instead
// of a rowid tree plus a key index.
constexpr const char* kInitialSchema = R"sql(
CREATE TABLE users (
    id                       TEXT PRIMARY KEY,
    email                    TEXT NOT NULL,
    display_name             TEXT NOT NULL,
    password_hash            TEXT NOT NULL,
    created_ms               INTEGER NOT NULL,
    password_changed_ms      INTEGER NOT NULL,
    failed_logins            INTEGER NOT NULL DEFAULT 0,
    failure_window_start_ms  INTEGER NOT NULL DEFAULT 0,
    locked_until_ms          INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE refresh_tokens (
    user_id      TEXT NOT NULL REFERENCES users (id),
    token_hash   TEXT NOT NULL,
    access_jti   TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    expires_ms   INTEGER NOT NULL,
    used_ms      INTEGER,
    revoked_ms   INTEGER,
    PRIMARY KEY (user_id, token_hash)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX refresh_tokens_hash ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_jti ON refresh_tokens (user_id, access_jti);

CREATE TABLE revoked_tokens (
    jti         TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    expires_ms  INTEGER NOT NULL
) STRICT;
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_ms);

CREATE TABLE accounts (
    user_id          TEXT PRIMARY KEY REFERENCES users (id),
    currency         TEXT NOT NULL DEFAULT 'USDT',
    initial_balance  INTEGER NOT NULL,
    balance          INTEGER NOT NULL,
    realized_pnl     INTEGER NOT NULL DEFAULT 0,
    fees_paid        INTEGER NOT NULL DEFAULT 0,
    funding_paid     INTEGER NOT NULL DEFAULT 0,
    maker_fee_rate   INTEGER NOT NULL DEFAULT 20000,
    taker_fee_rate   INTEGER NOT NULL DEFAULT 40000,
    updated_ms       INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE orders (
    user_id            TEXT NOT NULL REFERENCES users (id),
    id                 TEXT NOT NULL,
    client_order_id    TEXT,
    symbol             TEXT NOT NULL,
    side               TEXT NOT NULL,
    type               TEXT NOT NULL,
    status             TEXT NOT NULL,
    quantity           INTEGER NOT NULL,
    price              INTEGER,
    stop_price         INTEGER,
    leverage           INTEGER NOT NULL,
    reduce_only        INTEGER NOT NULL DEFAULT 0,
    triggered          INTEGER NOT NULL DEFAULT 0,
    filled_quantity    INTEGER NOT NULL DEFAULT 0,
    average_price      INTEGER,
    fees               INTEGER NOT NULL DEFAULT 0,
    -- An order fills once, in full (there is no order book to fill it in parts): its fill is
    -- filled_quantity at average_price for fees, as maker or taker. No separate fills table,
    -- so an order costs one row write less.
    liquidity          TEXT,
    stop_loss          INTEGER,
    take_profit        INTEGER,
    trailing_stop_pct  INTEGER,
    reserved_margin    INTEGER NOT NULL DEFAULT 0,
    created_ms         INTEGER NOT NULL,
    updated_ms         INTEGER NOT NULL,
    PRIMARY KEY (user_id, id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX orders_client_id ON orders (user_id, client_order_id)
    WHERE client_order_id IS NOT NULL;
-- Ids are time-ordered, so the primary key already lists a user's orders newest first; every
-- further index would be one more page written per order.
CREATE INDEX orders_open ON orders (user_id) WHERE status = 'open';

CREATE TABLE positions (
    user_id              TEXT NOT NULL REFERENCES users (id),
    symbol               TEXT NOT NULL,
    side                 TEXT NOT NULL,
    quantity             INTEGER NOT NULL,
    entry_price          INTEGER NOT NULL,
    leverage             INTEGER NOT NULL,
    margin               INTEGER NOT NULL,
    stop_loss            INTEGER,
    take_profit          INTEGER,
    trailing_stop_pct    INTEGER,
    trailing_anchor      INTEGER,
    trade_id             TEXT NOT NULL,
    open_fees            INTEGER NOT NULL DEFAULT 0,
    last_funding_period  INTEGER NOT NULL DEFAULT 0,
    opened_ms            INTEGER NOT NULL,
    updated_ms           INTEGER NOT NULL,
    PRIMARY KEY (user_id, symbol)
) STRICT, WITHOUT ROWID;

-- Closed trades (a position closed in full or in part). entry_time is when the position
-- opened, exit_time when this part closed.
CREATE TABLE trades (
    user_id       TEXT NOT NULL REFERENCES users (id),
    id            TEXT NOT NULL,
    position_id   TEXT NOT NULL,
    symbol        TEXT NOT NULL,
    side          TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'closed',
    quantity      INTEGER NOT NULL,
    entry_price   INTEGER NOT NULL,
    exit_price    INTEGER NOT NULL,
    leverage      INTEGER NOT NULL,
    realized_pnl  INTEGER NOT NULL,
    fees          INTEGER NOT NULL,
    close_reason  TEXT NOT NULL,
    entry_time    INTEGER NOT NULL,
    exit_time     INTEGER NOT NULL,
    PRIMARY KEY (user_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX trades_user_time ON trades (user_id, entry_time DESC);
CREATE INDEX trades_symbol_time ON trades (symbol, entry_time DESC);
CREATE INDEX trades_user_status_time ON trades (user_id, status, entry_time DESC);
-- A trade's id is made when it closes, so the primary key lists closed trades newest first.

CREATE TABLE funding_payments (
    user_id   TEXT NOT NULL REFERENCES users (id),
    symbol    TEXT NOT NULL,
    period    INTEGER NOT NULL,
    side      TEXT NOT NULL,
    quantity  INTEGER NOT NULL,
    mark      INTEGER NOT NULL,
    rate      INTEGER NOT NULL,
    amount    INTEGER NOT NULL,
    time_ms   INTEGER NOT NULL,
    PRIMARY KEY (user_id, symbol, period)
) STRICT, WITHOUT ROWID;

CREATE TABLE market_data (
    symbol     TEXT NOT NULL,
    interval   TEXT NOT NULL,
    timestamp  INTEGER NOT NULL,
    open       INTEGER NOT NULL,
    high       INTEGER NOT NULL,
    low        INTEGER NOT NULL,
    close      INTEGER NOT NULL,
    volume     INTEGER NOT NULL,
    PRIMARY KEY (symbol, interval, timestamp)
) STRICT, WITHOUT ROWID;
CREATE INDEX market_data_symbol_time ON market_data (symbol, timestamp DESC);

CREATE TABLE analysis (
    symbol       TEXT NOT NULL,
    computed_ms  INTEGER NOT NULL,
    expires_ms   INTEGER NOT NULL,
    payload      TEXT NOT NULL,
    PRIMARY KEY (symbol)
) STRICT;

CREATE TABLE audit_logs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     TEXT,
    ip          TEXT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    created_ms  INTEGER NOT NULL
) STRICT;
CREATE INDEX audit_logs_user_time ON audit_logs (user_id, created_ms DESC);
CREATE INDEX audit_logs_time ON audit_logs (created_ms);
)sql";

constexpr const char* kBotSettings = R"sql(
CREATE TABLE bot_settings (
    user_id    TEXT PRIMARY KEY REFERENCES users(id),
    settings   TEXT NOT NULL,
    updated_ms INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// The book's revision: every trading write checks and advances it (see ports::TradingWrite).
constexpr const char* kAccountRevision = R"sql(
ALTER TABLE accounts ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
)sql";

// The log of changed books that the instances of a PostgreSQL cluster read from each other
// (users and revisions as JSON arrays here); an embedded store serves one instance and leaves it
// empty.
constexpr const char* kBookChanges = R"sql(
CREATE TABLE book_changes (
    id        INTEGER PRIMARY KEY,
    source    TEXT NOT NULL,
    users     TEXT NOT NULL,
    revisions TEXT NOT NULL
) STRICT;
)sql";

// No query reads trades by entry time, by symbol across users or by status: every read is by user
// and id (the primary key). These indexes only cost each trade's insert three more index writes.
constexpr const char* kDropUnusedTradeIndexes = R"sql(
DROP INDEX trades_user_time;
DROP INDEX trades_symbol_time;
DROP INDEX trades_user_status_time;
)sql";

constexpr std::array kMigrations{
    Migration{1, "initial_schema", kInitialSchema},
    Migration{2, "bot_settings", kBotSettings},
    Migration{3, "account_revision", kAccountRevision},
    Migration{4, "book_changes", kBookChanges},
    Migration{5, "drop_unused_trade_indexes", kDropUnusedTradeIndexes},
};

}  // namespace

std::span<const Migration> migrations() {
    return kMigrations;
}

int schema_version(Connection& connection) {
    connection.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "name TEXT NOT NULL, applied_ms INTEGER NOT NULL) STRICT");
    auto stmt = connection.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    stmt.step();
    return static_cast<int>(stmt.integer(0));
}

std::vector<std::string> migrate(Connection& connection, std::int64_t now_ms) {
    std::vector<std::string> applied;
    const int current = schema_version(connection);
    for (const auto& migration : kMigrations) {
        if (migration.version <= current) {
            continue;
        }
        Transaction tx(connection);
        connection.exec(migration.sql);
        connection
            .prepare("INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)")
            .bind_all(migration.version, std::string_view(migration.name), now_ms)
            .execute_unique();
        tx.commit();
        applied.push_back(std::to_string(migration.version) + " " + migration.name);
    }
    return applied;
}

}  // namespace botcore::adapters::sqlite
