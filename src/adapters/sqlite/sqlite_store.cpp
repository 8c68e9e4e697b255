#include "adapters/sqlite/sqlite_store.hpp"

#include <filesystem>

#include "adapters/sqlite/sqlite_migrations.hpp"
#include "adapters/sqlite/wal_sync.hpp"

namespace botcore::adapters::sqlite {

std::string SqliteStore::database_path(const std::string& data_dir) {
    return (std::filesystem::path(data_dir) / "botcore.db").string();
}

SqliteStore::SqliteStore(const std::string& data_dir, int readers)
    : path_(database_path(data_dir)) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    if (ec) {
        throw ports::StoreUnavailable("cannot create data directory " + data_dir + ": " +
                                      ec.message());
    }
    writer_ = std::make_unique<Connection>(path_, false);
    for (int i = 0; i < std::max(1, readers); ++i) {
        all_readers_.push_back(std::make_unique<Connection>(path_, true));
        idle_readers_.push_back(all_readers_.back().get());
    }
    committer_ = std::make_unique<GroupCommitter>(
        *writer_, writer_mutex_, [sync = std::make_shared<WalSync>(path_)] { (*sync)(); });
    // PASSIVE checkpoints copy committed WAL frames into the database without blocking the
    // writer; done every 200 ms they keep the WAL small.
    checkpointer_ = std::make_unique<Connection>(path_, false);
    checkpoints_ = std::make_unique<ops::PeriodicTask>(std::chrono::milliseconds(200), [this] {
        sqlite3_wal_checkpoint_v2(checkpointer_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                  nullptr, nullptr);
    });
    checkpoints_->start();
}

SqliteStore::~SqliteStore() {
    committer_.reset();
}

void SqliteStore::give_back(Connection* connection) {
    {
        std::lock_guard lock(readers_mutex_);
        idle_readers_.push_back(connection);
    }
    busy_.fetch_sub(1, std::memory_order_relaxed);
    reader_free_.notify_one();
}

SqliteStore::ReaderLease SqliteStore::reader() {
    // Rows committed before a failed WAL flush may be gone after a power loss; reading them
    // would answer as if they were not (a repeated client_order_id, a balance).
    if (committer_->sync_failed()) {
        throw ports::StoreUnavailable(
            "the write-ahead log could not be flushed; restart the server");
    }
    std::unique_lock lock(readers_mutex_);
    reader_free_.wait(lock, [this] { return !idle_readers_.empty(); });
    Connection* connection = idle_readers_.back();
    idle_readers_.pop_back();
    busy_.fetch_add(1, std::memory_order_relaxed);
    return ReaderLease(*this, connection);
}

std::vector<std::string> SqliteStore::migrate(std::int64_t now_ms) {
    std::lock_guard lock(writer_mutex_);
    return sqlite::migrate(*writer_, now_ms);
}

int SqliteStore::schema_version() {
    std::lock_guard lock(writer_mutex_);
    return sqlite::schema_version(*writer_);
}

int SqliteStore::known_schema_version() const {
    return sqlite::migrations().back().version;
}

void SqliteStore::insert_audit(const ports::AuditEvent& audit) {
    auto stmt = writer_->prepare(
        "INSERT INTO audit_logs (user_id, ip, action, detail, created_ms) VALUES (?, ?, ?, ?, ?)");
    if (audit.user_id.empty()) {
        stmt.bind_null(1);
    } else {
        stmt.bind(1, audit.user_id);
    }
    stmt.bind(2, audit.ip).bind(3, audit.action).bind(4, audit.detail).bind(5, audit.created_ms);
    stmt.step();
}

void SqliteStore::insert_refresh(const ports::RefreshToken& token) {
    writer_
        ->prepare(
            "INSERT INTO refresh_tokens (user_id, token_hash, access_jti, created_ms, expires_ms) "
            "VALUES (?, ?, ?, ?, ?)")
        .bind_all(token.user_id, token.token_hash, token.access_jti, token.created_ms,
                  token.expires_ms)
        .step();
}

std::optional<ports::User> SqliteStore::create_user(const ports::NewUser& user,
                                                    const ports::AuditEvent& audit) {
    std::lock_guard lock(writer_mutex_);
    Transaction tx(*writer_);
    const bool inserted =
        writer_
            ->prepare(
                "INSERT INTO users (id, email, display_name, password_hash, created_ms, "
                "password_changed_ms) VALUES (?, ?, ?, ?, ?, ?)")
            .bind_all(user.user.id, user.user.email, user.user.display_name, user.password_hash,
                      user.user.created_ms, user.user.created_ms)
            .execute_unique();
    if (!inserted) {
        return std::nullopt;
    }
    writer_
        ->prepare(
            "INSERT INTO accounts (user_id, initial_balance, balance, updated_ms) VALUES (?, ?, ?, "
            "?)")
        .bind_all(user.user.id, user.initial_balance.units(), user.initial_balance.units(),
                  user.user.created_ms)
        .step();
    insert_audit(audit);
    tx.commit();
    return user.user;
}

std::optional<ports::Credentials> SqliteStore::find_credentials(std::string_view email) {
    auto connection = reader();
    auto stmt = connection->prepare(
        "SELECT id, email, display_name, created_ms, password_hash, failed_logins, "
        "failure_window_start_ms, locked_until_ms FROM users WHERE email = ?");
    stmt.bind(1, email);
    if (!stmt.step()) {
        return std::nullopt;
    }
    return ports::Credentials{
        ports::User{stmt.text(0), stmt.text(1), stmt.text(2), stmt.integer(3)}, stmt.text(4),
        auth::LoginState{static_cast<int>(stmt.integer(5)), stmt.integer(6), stmt.integer(7)}};
}

std::optional<ports::User> SqliteStore::find_user(std::string_view user_id) {
    auto connection = reader();
    auto stmt =
        connection->prepare("SELECT id, email, display_name, created_ms FROM users WHERE id = ?");
    stmt.bind(1, user_id);
    if (!stmt.step()) {
        return std::nullopt;
    }
    return ports::User{stmt.text(0), stmt.text(1), stmt.text(2), stmt.integer(3)};
}

auth::LoginState SqliteStore::update_login_state(
    std::string_view user_id, const std::function<auth::LoginState(auth::LoginState)>& change,
    const std::vector<ports::AuditEvent>& audit) {
    std::lock_guard lock(writer_mutex_);
    Transaction tx(*writer_);
    auth::LoginState state;
    {
        auto stmt = writer_->prepare(
            "SELECT failed_logins, failure_window_start_ms, locked_until_ms FROM users WHERE id = "
            "?");
        stmt.bind(1, user_id);
        if (!stmt.step()) {
            return state;
        }
        state = {static_cast<int>(stmt.integer(0)), stmt.integer(1), stmt.integer(2)};
    }
    state = change(state);
    writer_
        ->prepare(
            "UPDATE users SET failed_logins = ?, failure_window_start_ms = ?, locked_until_ms = ? "
            "WHERE id = ?")
        .bind_all(state.failures, state.window_start_ms, state.locked_until_ms, user_id)
        .step();
    for (const auto& event : audit) {
        insert_audit(event);
    }
    tx.commit();
    return state;
}

void SqliteStore::record_login(const ports::RefreshToken& token, const ports::AuditEvent& audit) {
    std::lock_guard lock(writer_mutex_);
    Transaction tx(*writer_);
    writer_
        ->prepare(
            "UPDATE users SET failed_logins = 0, failure_window_start_ms = 0, locked_until_ms = 0 "
            "WHERE id = ?")
        .bind_all(token.user_id)
        .step();
    insert_refresh(token);
    insert_audit(audit);
    tx.commit();
}

std::expected<std::string, ports::RotateError> SqliteStore::rotate_refresh_token(
    std::string_view old_hash, std::int64_t now_ms, const ports::RefreshToken& replacement) {
    std::lock_guard lock(writer_mutex_);
    Transaction tx(*writer_);
    std::string user_id;
    std::int64_t expires_ms = 0;
    bool used = false;
    bool revoked = false;
    {
        auto stmt = writer_->prepare(
            "SELECT user_id, expires_ms, used_ms IS NOT NULL, revoked_ms IS NOT NULL "
            "FROM refresh_tokens WHERE token_hash = ?");
        stmt.bind(1, old_hash);
        if (!stmt.step()) {
            return std::unexpected(ports::RotateError::kUnknown);
        }
        user_id = stmt.text(0);
        expires_ms = stmt.integer(1);
        used = stmt.integer(2) != 0;
        revoked = stmt.integer(3) != 0;
    }
    if (used) {
        // A used token presented again: someone holds a copy. End every session's refresh.
        writer_
            ->prepare(
                "UPDATE refresh_tokens SET revoked_ms = ? WHERE user_id = ? AND revoked_ms IS NULL "
                "AND used_ms IS NULL")
            .bind_all(now_ms, user_id)
            .step();
        insert_audit({user_id, "", "refresh_reused", "every refresh token revoked", now_ms});
        tx.commit();
        return std::unexpected(ports::RotateError::kReused);
    }
    if (revoked) {
        return std::unexpected(ports::RotateError::kRevoked);
    }
    if (expires_ms <= now_ms) {
        return std::unexpected(ports::RotateError::kExpired);
    }
    writer_->prepare("UPDATE refresh_tokens SET used_ms = ? WHERE token_hash = ?")
        .bind_all(now_ms, old_hash)
        .step();
    ports::RefreshToken next = replacement;
    next.user_id = user_id;
    insert_refresh(next);
    tx.commit();
    return user_id;
}

void SqliteStore::revoke_session(std::string_view user_id, const ports::RevokedToken& access,
                                 const ports::AuditEvent& audit) {
    std::lock_guard lock(writer_mutex_);
    Transaction tx(*writer_);
    writer_
        ->prepare(
            "INSERT OR IGNORE INTO revoked_tokens (jti, user_id, expires_ms) VALUES (?, ?, ?)")
        .bind_all(access.jti, user_id, access.expires_ms)
        .step();
    writer_
        ->prepare(
            "UPDATE refresh_tokens SET revoked_ms = ? WHERE user_id = ? AND access_jti = ? AND "
            "revoked_ms IS NULL")
        .bind_all(audit.created_ms, user_id, access.jti)
        .step();
    insert_audit(audit);
    tx.commit();
}

std::vector<ports::RevokedToken> SqliteStore::revoked_tokens(std::int64_t now_ms) {
    auto connection = reader();
    auto stmt =
        connection->prepare("SELECT jti, expires_ms FROM revoked_tokens WHERE expires_ms > ?");
    stmt.bind(1, now_ms);
    std::vector<ports::RevokedToken> out;
    while (stmt.step()) {
        out.push_back({stmt.text(0), stmt.integer(1)});
    }
    return out;
}

void SqliteStore::change_password(std::string_view user_id, std::string_view password_hash,
                                  const ports::AuditEvent& audit) {
    std::lock_guard lock(writer_mutex_);
    Transaction tx(*writer_);
    writer_->prepare("UPDATE users SET password_hash = ?, password_changed_ms = ? WHERE id = ?")
        .bind_all(password_hash, audit.created_ms, user_id)
        .step();
    writer_
        ->prepare(
            "UPDATE refresh_tokens SET revoked_ms = ? WHERE user_id = ? AND revoked_ms IS NULL")
        .bind_all(audit.created_ms, user_id)
        .step();
    insert_audit(audit);
    tx.commit();
}

void SqliteStore::append_audit(const ports::AuditEvent& audit) {
    std::lock_guard lock(writer_mutex_);
    insert_audit(audit);
}

std::vector<ports::AuditEvent> SqliteStore::audit_log(std::string_view user_id, int limit) {
    auto connection = reader();
    auto stmt = connection->prepare(
        "SELECT COALESCE(user_id, ''), ip, action, detail, created_ms FROM audit_logs "
        "WHERE user_id = ? ORDER BY created_ms DESC, id DESC LIMIT ?");
    stmt.bind_all(user_id, limit);
    std::vector<ports::AuditEvent> out;
    while (stmt.step()) {
        out.push_back({stmt.text(0), stmt.text(1), stmt.text(2), stmt.text(3), stmt.integer(4)});
    }
    return out;
}

bool SqliteStore::ping() {
    try {
        auto connection = reader();
        auto stmt = connection->prepare("SELECT 1");
        return stmt.step() && stmt.integer(0) == 1;
    } catch (const ports::StoreUnavailable&) {
        return false;
    }
}

std::vector<ports::TableSize> SqliteStore::table_sizes() {
    auto connection = reader();
    // dbstat is compiled into Debian's SQLite; it counts the pages of each table and its
    // indexes.
    auto stmt = connection->prepare(
        "SELECT m.tbl_name, SUM(s.pgsize) FROM dbstat AS s JOIN sqlite_schema AS m "
        "ON s.name = m.name WHERE m.tbl_name NOT LIKE 'sqlite_%' GROUP BY m.tbl_name "
        "ORDER BY m.tbl_name");
    std::vector<ports::TableSize> out;
    while (stmt.step()) {
        out.push_back({stmt.text(0), stmt.integer(1)});
    }
    return out;
}

ports::EngineStats SqliteStore::stats() const {
    ports::EngineStats out;
    out.commit_batches = committer_->batches();
    out.committed_writes = committer_->items();
    out.flushes = committer_->syncs();
    out.connections_open = static_cast<int>(all_readers_.size()) + 1;
    return out;
}

int SqliteStore::connections_active() const {
    // The writer counts as active while held; readers while leased.
    return busy_.load(std::memory_order_relaxed);
}

}  // namespace botcore::adapters::sqlite
