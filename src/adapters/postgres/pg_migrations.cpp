#include "adapters/postgres/pg_migrations.hpp"

#include <array>

namespace botcore::adapters::postgres {

namespace {

// Money and quantities are BIGINT units of 1e-8 (domain::Decimal). Every per-user table keys on
// user_id first, so the schema can be sharded by it. Ids are compared byte-wise (COLLATE "C"):
// they are time-ordered and keyset pagination relies on their order. Tables updated in place
// leave room in each page (fillfactor) so that updates stay on the page (HOT updates).
constexpr const char* kInitialSchema = R"sql(
CREATE TABLE users (
    id                       TEXT COLLATE "C" PRIMARY KEY,
    email                    TEXT NOT NULL,
    display_name             TEXT NOT NULL,
    password_hash            TEXT NOT NULL,
    created_ms               BIGINT NOT NULL,
    password_changed_ms      BIGINT NOT NULL,
    failed_logins            INTEGER NOT NULL DEFAULT 0,
    failure_window_start_ms  BIGINT NOT NULL DEFAULT 0,
    locked_until_ms          BIGINT NOT NULL DEFAULT 0
) WITH (fillfactor = 90);
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE refresh_tokens (
    user_id      TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    token_hash   TEXT NOT NULL,
    access_jti   TEXT NOT NULL,
    created_ms   BIGINT NOT NULL,
    expires_ms   BIGINT NOT NULL,
    used_ms      BIGINT,
    revoked_ms   BIGINT,
    PRIMARY KEY (user_id, token_hash)
);
CREATE UNIQUE INDEX refresh_tokens_hash ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_jti ON refresh_tokens (user_id, access_jti);

CREATE TABLE revoked_tokens (
    jti         TEXT PRIMARY KEY,
    user_id     TEXT COLLATE "C" NOT NULL,
    expires_ms  BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_ms);

CREATE TABLE accounts (
    user_id          TEXT COLLATE "C" PRIMARY KEY REFERENCES users (id),
    currency         TEXT NOT NULL DEFAULT 'USDT',
    initial_balance  BIGINT NOT NULL,
    balance          BIGINT NOT NULL,
    realized_pnl     BIGINT NOT NULL DEFAULT 0,
    fees_paid        BIGINT NOT NULL DEFAULT 0,
    funding_paid     BIGINT NOT NULL DEFAULT 0,
    maker_fee_rate   BIGINT NOT NULL DEFAULT 20000,
    taker_fee_rate   BIGINT NOT NULL DEFAULT 40000,
    updated_ms       BIGINT NOT NULL
) WITH (fillfactor = 70);

CREATE TABLE orders (
    user_id            TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    id                 TEXT COLLATE "C" NOT NULL,
    client_order_id    TEXT,
    symbol             TEXT NOT NULL,
    side               TEXT NOT NULL,
    type               TEXT NOT NULL,
    status             TEXT NOT NULL,
    quantity           BIGINT NOT NULL,
    price              BIGINT,
    stop_price         BIGINT,
    leverage           INTEGER NOT NULL,
    reduce_only        BOOLEAN NOT NULL DEFAULT false,
    triggered          BOOLEAN NOT NULL DEFAULT false,
    filled_quantity    BIGINT NOT NULL DEFAULT 0,
    average_price      BIGINT,
    fees               BIGINT NOT NULL DEFAULT 0,
    -- An order fills once, in full: its fill is filled_quantity at average_price, as maker or
    -- taker (liquidity). No separate fills table.
    liquidity          TEXT,
    stop_loss          BIGINT,
    take_profit        BIGINT,
    trailing_stop_pct  BIGINT,
    reserved_margin    BIGINT NOT NULL DEFAULT 0,
    created_ms         BIGINT NOT NULL,
    updated_ms         BIGINT NOT NULL,
    PRIMARY KEY (user_id, id)
) WITH (fillfactor = 90);
CREATE UNIQUE INDEX orders_client_id ON orders (user_id, client_order_id)
    WHERE client_order_id IS NOT NULL;
CREATE INDEX orders_open ON orders (user_id) WHERE status = 'open';

CREATE TABLE positions (
    user_id              TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    symbol               TEXT NOT NULL,
    side                 TEXT NOT NULL,
    quantity             BIGINT NOT NULL,
    entry_price          BIGINT NOT NULL,
    leverage             INTEGER NOT NULL,
    margin               BIGINT NOT NULL,
    stop_loss            BIGINT,
    take_profit          BIGINT,
    trailing_stop_pct    BIGINT,
    trailing_anchor      BIGINT,
    trade_id             TEXT NOT NULL,
    open_fees            BIGINT NOT NULL DEFAULT 0,
    last_funding_period  BIGINT NOT NULL DEFAULT 0,
    opened_ms            BIGINT NOT NULL,
    updated_ms           BIGINT NOT NULL,
    PRIMARY KEY (user_id, symbol)
) WITH (fillfactor = 70);

CREATE TABLE trades (
    user_id       TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    id            TEXT COLLATE "C" NOT NULL,
    position_id   TEXT NOT NULL,
    symbol        TEXT NOT NULL,
    side          TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'closed',
    quantity      BIGINT NOT NULL,
    entry_price   BIGINT NOT NULL,
    exit_price    BIGINT NOT NULL,
    leverage      INTEGER NOT NULL,
    realized_pnl  BIGINT NOT NULL,
    fees          BIGINT NOT NULL,
    close_reason  TEXT NOT NULL,
    entry_time    BIGINT NOT NULL,
    exit_time     BIGINT NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE INDEX trades_user_time ON trades (user_id, entry_time DESC);
CREATE INDEX trades_symbol_time ON trades (symbol, entry_time DESC);
CREATE INDEX trades_user_status_time ON trades (user_id, status, entry_time DESC);

CREATE TABLE funding_payments (
    user_id   TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    symbol    TEXT NOT NULL,
    period    BIGINT NOT NULL,
    side      TEXT NOT NULL,
    quantity  BIGINT NOT NULL,
    mark      BIGINT NOT NULL,
    rate      BIGINT NOT NULL,
    amount    BIGINT NOT NULL,
    time_ms   BIGINT NOT NULL,
    PRIMARY KEY (user_id, symbol, period)
);

CREATE TABLE market_data (
    symbol     TEXT NOT NULL,
    interval   TEXT NOT NULL,
    timestamp  BIGINT NOT NULL,
    open       BIGINT NOT NULL,
    high       BIGINT NOT NULL,
    low        BIGINT NOT NULL,
    close      BIGINT NOT NULL,
    volume     BIGINT NOT NULL,
    PRIMARY KEY (symbol, interval, timestamp)
);
CREATE INDEX market_data_symbol_time ON market_data (symbol, timestamp DESC);

CREATE TABLE analysis (
    symbol       TEXT PRIMARY KEY,
    computed_ms  BIGINT NOT NULL,
    expires_ms   BIGINT NOT NULL,
    payload      TEXT NOT NULL
);

CREATE TABLE audit_logs (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     TEXT COLLATE "C",
    ip          TEXT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    created_ms  BIGINT NOT NULL
);
CREATE INDEX audit_logs_user_time ON audit_logs (user_id, created_ms DESC);
CREATE INDEX audit_logs_time ON audit_logs (created_ms);
)sql";

constexpr const char* kBotSettings = R"sql(
CREATE TABLE bot_settings (
    user_id    TEXT COLLATE "C" PRIMARY KEY REFERENCES users (id),
    settings   TEXT NOT NULL,
    updated_ms BIGINT NOT NULL
);
)sql";

// The book's revision: every trading write checks and advances it (see ports::TradingWrite).
// botcore_stale_write() is how a statement refuses a stale write: it raises serialization_failure,
// which the adapter reports as WriteConflict.
constexpr const char* kAccountRevision = R"sql(
ALTER TABLE accounts ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE FUNCTION botcore_stale_write() RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION 'the book changed since it was read' USING ERRCODE = '40001';
END
$$;
)sql";

// Which books changed, by transaction: every group-commit batch records its books (users and
// their new revisions) in one row, and the other instances read what committed since they last
// looked (see PgStore::read_book_changes).
constexpr const char* kBookChanges = R"sql(
CREATE TABLE book_changes (
    xid        xid8 NOT NULL DEFAULT pg_current_xact_id(),
    source     TEXT NOT NULL,
    users      TEXT[] NOT NULL,
    revisions  BIGINT[] NOT NULL
);
CREATE INDEX book_changes_xid ON book_changes (xid);
)sql";

// No query reads trades by entry time, by symbol across users or by status: every read is by user
// and id (the primary key). These indexes only cost each trade's insert three more index writes.
constexpr const char* kDropUnusedTradeIndexes = R"sql(
DROP INDEX trades_user_time;
DROP INDEX trades_symbol_time;
DROP INDEX trades_user_status_time;
)sql";

struct Migration {
    int version;
    const char* name;
    const char* sql;
};

constexpr std::array kMigrations{
    Migration{1, "initial_schema", kInitialSchema},
    Migration{2, "bot_settings", kBotSettings},
    Migration{3, "account_revision", kAccountRevision},
    Migration{4, "book_changes", kBookChanges},
    Migration{5, "drop_unused_trade_indexes", kDropUnusedTradeIndexes},
};

// Any constant shared by every instance: the key of the advisory lock held while migrating.
constexpr std::int64_t kMigrationLock = 0x626f74636f7265;  // "botcore"

constexpr Sql kVersion{"migrations_version",
                       "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"};
constexpr Sql kRecord{"migrations_record",
                      "INSERT INTO schema_migrations (version, name, applied_ms) "
                      "VALUES ($1, $2, $3)"};
constexpr Sql kLock{"migrations_lock", "SELECT pg_advisory_xact_lock($1)"};

void ensure_table(Connection& connection) {
    connection.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "name TEXT NOT NULL, applied_ms BIGINT NOT NULL)");
}

}  // namespace

int known_schema_version() {
    return kMigrations.back().version;
}

int schema_version(Connection& connection) {
    ensure_table(connection);
    return static_cast<int>(connection.run(kVersion).integer(0, 0));
}

std::vector<std::string> migrate(Connection& connection, std::int64_t now_ms) {
    std::vector<std::string> applied;
    {
        // CREATE TABLE IF NOT EXISTS is not safe against a concurrent twin: take the lock first.
        Transaction tx(connection);
        connection.run(kLock, Params::of(kMigrationLock));
        ensure_table(connection);
        tx.commit();
    }
    for (const auto& migration : kMigrations) {
        Transaction tx(connection);
        connection.run(kLock, Params::of(kMigrationLock));
        if (connection.run(kVersion).integer(0, 0) >= migration.version) {
            continue;
        }
        connection.exec(migration.sql);
        connection.run(kRecord, Params::of(migration.version, migration.name, now_ms));
        tx.commit();
        applied.push_back(std::to_string(migration.version) + " " + migration.name);
    }
    return applied;
}

}  // namespace botcore::adapters::postgres
