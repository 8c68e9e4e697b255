#include "adapters/postgres/pg_store.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <random>

#include "adapters/postgres/pg_migrations.hpp"
#include "market/tick_codec.hpp"

namespace botcore::adapters::postgres {

namespace {

constexpr Sql kInsertAudit{
    "insert_audit",
    "INSERT INTO audit_logs (user_id, ip, action, detail, created_ms) VALUES ($1, $2, $3, $4, $5)"};
constexpr Sql kInsertRefresh{
    "insert_refresh",
    "INSERT INTO refresh_tokens (user_id, token_hash, access_jti, created_ms, expires_ms) "
    "VALUES ($1, $2, $3, $4, $5)"};
constexpr Sql kInsertUser{
    "insert_user",
    "INSERT INTO users (id, email, display_name, password_hash, created_ms, password_changed_ms) "
    "VALUES ($1, $2, $3, $4, $5, $5)"};
constexpr Sql kInsertAccount{
    "insert_account",
    "INSERT INTO accounts (user_id, initial_balance, balance, updated_ms) VALUES ($1, $2, $2, $3)"};
constexpr Sql kFindCredentials{
    "find_credentials",
    "SELECT id, email, display_name, created_ms, password_hash, failed_logins, "
    "failure_window_start_ms, locked_until_ms FROM users WHERE email = $1"};
constexpr Sql kFindUser{"find_user",
                        "SELECT id, email, display_name, created_ms FROM users WHERE id = $1"};
constexpr Sql kLockLoginState{
    "lock_login_state",
    "SELECT failed_logins, failure_window_start_ms, locked_until_ms FROM users WHERE id = $1 "
    "FOR UPDATE"};
constexpr Sql kWriteLoginState{
    "write_login_state",
    "UPDATE users SET failed_logins = $1, failure_window_start_ms = $2, locked_until_ms = $3 "
    "WHERE id = $4"};
constexpr Sql kResetLoginState{
    "reset_login_state",
    "UPDATE users SET failed_logins = 0, failure_window_start_ms = 0, locked_until_ms = 0 "
    "WHERE id = $1"};
constexpr Sql kLockRefresh{
    "lock_refresh",
    "SELECT user_id, expires_ms, used_ms IS NOT NULL, revoked_ms IS NOT NULL "
    "FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE"};
constexpr Sql kRevokeUnusedRefresh{
    "revoke_unused_refresh",
    "UPDATE refresh_tokens SET revoked_ms = $1 WHERE user_id = $2 AND revoked_ms IS NULL "
    "AND used_ms IS NULL"};
constexpr Sql kUseRefresh{"use_refresh",
                          "UPDATE refresh_tokens SET used_ms = $1 WHERE token_hash = $2"};
constexpr Sql kRevokeJti{
    "revoke_jti",
    "INSERT INTO revoked_tokens (jti, user_id, expires_ms) VALUES ($1, $2, $3) "
    "ON CONFLICT (jti) DO NOTHING"};
constexpr Sql kRevokeRefreshOfJti{
    "revoke_refresh_of_jti",
    "UPDATE refresh_tokens SET revoked_ms = $1 WHERE user_id = $2 AND access_jti = $3 AND "
    "revoked_ms IS NULL"};
constexpr Sql kAnnounceRevoked{"announce_revoked",
                               "SELECT pg_notify('botcore_revoked_' || "
                               "to_hex(hashtext(current_schema())), $1 || ':' || $2::text)"};
constexpr Sql kRevokedTokens{"revoked_tokens",
                             "SELECT jti, expires_ms FROM revoked_tokens WHERE expires_ms > $1"};
constexpr Sql kChangePassword{
    "change_password",
    "UPDATE users SET password_hash = $1, password_changed_ms = $2 WHERE id = $3"};
constexpr Sql kRevokeAllRefresh{
    "revoke_all_refresh",
    "UPDATE refresh_tokens SET revoked_ms = $1 WHERE user_id = $2 AND revoked_ms IS NULL"};
constexpr Sql kAuditLog{
    "audit_log",
    "SELECT COALESCE(user_id, ''), ip, action, detail, created_ms FROM audit_logs "
    "WHERE user_id = $1 ORDER BY created_ms DESC, id DESC LIMIT $2"};
constexpr Sql kTableSizes{
    "table_sizes",
    "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() ORDER BY c.relname"};

// How often the listener reads book_changes: how late, at most, a change reaches the other
// instances.
constexpr auto kBookChangesInterval = std::chrono::milliseconds(100);
// Upkeep (every second) prunes book_changes every 30 runs, deleting what was committed before
// the oldest running transaction of two prunes ago: ended over a minute ago, so read by every
// listener that reads at least every minute. One that went longer between reads (stalled
// while its connection stayed up) may have missed rows, and takes every book as changed.
constexpr int kBookChangesPruneEvery = 30;
constexpr auto kBookChangesStall = std::chrono::seconds(30);
constexpr Sql kPruneBookChanges{"prune_book_changes",
                                "DELETE FROM book_changes WHERE xid < $1::xid8"};
// The oldest transaction still running (or the next to start): every one before it has ended.
constexpr const char* kOldestRunning = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text";
// What has not ended yet, as PgStore::Unended.
constexpr const char* kUnended =
    "SELECT pg_snapshot_xmax(s)::text, ARRAY(SELECT pg_snapshot_xip(s))::text "
    "FROM pg_current_snapshot() AS s";

// "postgresql://user:secret@host:port/db" without the secret, for logs.
std::string without_password(const std::string& url) {
    const auto scheme = url.find("://");
    const auto at = url.find('@');
    if (scheme == std::string::npos || at == std::string::npos || at < scheme) {
        return url;
    }
    const auto colon = url.find(':', scheme + 3);
    if (colon == std::string::npos || colon > at) {
        return url;
    }
    return url.substr(0, colon) + url.substr(at);
}

}  // namespace

PgStore::PgStore(PgSettings settings)
    : settings_(std::move(settings)),
      instance_tag_(std::to_string(std::random_device{}()) + std::to_string(::getpid())),
      primary_(pooled_url(), pooled_pool()) {
    primary_.warm();
    PoolSettings replica_pool = pooled_pool();
    replica_pool.min = std::min(2, replica_pool.max);
    router_ = std::make_unique<ReadRouter>(primary_, settings_.replica_urls, replica_pool,
                                           settings_.max_replica_lag);
    router_->check_replicas();
    upkeep_ = std::make_unique<ops::PeriodicTask>(std::chrono::seconds(1), [this] { upkeep(); });
    upkeep_->start();
    const auto committers = static_cast<std::size_t>(std::max(1, settings_.committers));
    writers_.resize(committers);
    for (std::size_t i = 0; i < committers; ++i) {
        committers_.push_back(std::make_unique<CommitQueue<Batch>>(
            [this, i](std::vector<Batch>& batch) { return commit_batch(i, batch); },
            settings_.max_batch));
    }
}

CommitQueue<PgStore::Batch>& PgStore::committer_for(std::string_view key) {
    return *committers_[std::hash<std::string_view>{}(key) % committers_.size()];
}

void PgStore::flush() {
    // A commit's callback may submit to another committer (one already flushed): until a
    // round commits nothing more.
    const auto committed = [this] {
        std::uint64_t total = 0;
        for (const auto& committer : committers_) {
            total += committer->items();
        }
        return total;
    };
    for (auto before = committed();;) {
        for (auto& committer : committers_) {
            committer->flush();
        }
        const auto after = committed();
        if (after == before) {
            return;
        }
        before = after;
    }
}

void PgStore::upkeep() {
    router_->check_replicas();
    primary_.close_idle();
    router_->close_idle();
    if (upkeep_runs_++ % kBookChangesPruneEvery != 0) {
        return;
    }
    try {
        prune_book_changes();
    } catch (const ports::StoreUnavailable&) {
        // Pruned at a later run.
    }
}

void PgStore::prune_book_changes() {
    std::lock_guard lock(prune_mutex_);
    auto connection = primary_.acquire();
    if (upkeep_xmins_.size() == 2) {
        connection->run(kPruneBookChanges, Params::of(upkeep_xmins_.front()));
        upkeep_xmins_.pop_front();
    }
    upkeep_xmins_.push_back(connection->exec(kOldestRunning).text(0, 0));
}

const std::string& PgStore::pooled_url() const {
    return settings_.pooler_url.empty() ? settings_.url : settings_.pooler_url;
}

PoolSettings PgStore::pooled_pool() const {
    auto pool = settings_.pool;
    pool.statements = pooled_statements();
    return pool;
}

Statements PgStore::pooled_statements() const {
    // Replica URLs may name the pooler too, so every pooled connection follows it.
    return settings_.pooler_url.empty() ? Statements::kPrepared : Statements::kUnprepared;
}

PgStore::~PgStore() {
    flush();  // nothing left for one committer to hand to another already gone
    committers_.clear();
    upkeep_.reset();
    stopping_ = true;
    if (listener_.joinable()) {
        listener_.join();
    }
}

void PgStore::watch_books(std::function<void(const std::string& user_id)> changed) {
    {
        std::lock_guard lock(watchers_mutex_);
        book_changed_ = std::move(changed);
    }
    start_listening();
}

void PgStore::watch_bots(std::function<void(const std::string& user_id)> changed) {
    const bool watching = static_cast<bool>(changed);
    {
        std::lock_guard lock(watchers_mutex_);
        bot_changed_ = std::move(changed);
    }
    start_listening();
    if (watching) {
        // Every user's settings as they are now, announced or not (see ports::BotStore).
        bot_changed("");
    }
}

void PgStore::watch_revocations(std::function<void(const ports::RevokedToken& token)> revoked) {
    {
        std::lock_guard lock(watchers_mutex_);
        token_revoked_ = std::move(revoked);
    }
    start_listening();
    // The listener may have heard revocations before there was anyone to tell.
    try {
        announce_revocations();
    } catch (const ports::StoreUnavailable&) {
        // The listener reads them again once it listens (again).
    }
}

void PgStore::announce_revocations() {
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    for (const auto& token : revoked_tokens(now_ms)) {
        announce("botcore_revoked", token.jti + ":" + std::to_string(token.expires_ms));
    }
}

namespace {

constexpr Sql kAnnounceTicks{
    "announce_ticks",
    "SELECT pg_notify('botcore_ticks_' || to_hex(hashtext(current_schema())), $1)"};

}  // namespace

void PgStore::publish(std::span<const ports::Tick> ticks) {
    auto connection = primary_.acquire();
    connection->run(kAnnounceTicks, Params::of(instance_tag_ + "|" + market::encode_ticks(ticks)));
}

void PgStore::watch(std::function<void(std::span<const ports::Tick> ticks)> received) {
    {
        std::lock_guard lock(watchers_mutex_);
        ticks_received_ = std::move(received);
    }
    start_listening();
}

void PgStore::start_listening() {
    std::call_once(listener_started_, [this] {
        listener_ = std::thread([this] { listen(); });
        // Announcements made after a watch_* call returns are not missed (unless the database
        // cannot be reached, when the listener keeps trying in the background).
        std::unique_lock lock(watchers_mutex_);
        listening_started_.wait_for(lock, std::chrono::seconds(5), [this] { return listening_; });
    });
}

void PgStore::bot_changed(const std::string& user_id) {
    std::lock_guard lock(watchers_mutex_);
    if (bot_changed_) {
        bot_changed_(user_id);
    }
}

void PgStore::book_changed(const std::string& user_id) {
    std::lock_guard lock(watchers_mutex_);
    if (book_changed_) {
        book_changed_(user_id);
    }
}

void PgStore::announce(std::string_view channel, const std::string& payload) {
    std::lock_guard lock(watchers_mutex_);
    if (channel == "botcore_books") {
        // "source:user" from instances of the version before book_changes, which announced
        // changed books instead (they do not read book_changes: see docs/ARCHITECTURE.md).
        const auto colon = payload.find(':');
        if (book_changed_ && colon != std::string::npos &&
            payload.compare(0, colon, instance_tag_) != 0) {
            book_changed_(payload.substr(colon + 1));
        }
    } else if (channel == "botcore_bots" && bot_changed_) {
        const auto colon = payload.find(':');
        if (colon != std::string::npos && payload.compare(0, colon, instance_tag_) != 0) {
            bot_changed_(payload.substr(colon + 1));
        }
    } else if (channel == "botcore_ticks" && ticks_received_) {
        const auto bar = payload.find('|');
        if (bar != std::string::npos && payload.compare(0, bar, instance_tag_) != 0) {
            const auto ticks = market::decode_ticks(std::string_view(payload).substr(bar + 1));
            ticks_received_(ticks);
        }
    } else if (channel == "botcore_revoked" && token_revoked_) {
        const auto colon = payload.rfind(':');
        if (colon != std::string::npos) {
            ports::RevokedToken token{payload.substr(0, colon), 0};
            std::from_chars(payload.data() + colon + 1, payload.data() + payload.size(),
                            token.expires_ms);
            token_revoked_(token);
        }
    }
}

void PgStore::listen() {
    bool listened_before = false;
    while (!stopping_) {
        try {
            // Unprepared: the read of book_changes is planned for its actual bounds each time.
            Connection connection(settings_.url, Statements::kUnprepared, listener_name());
            // Channels are per database; the schema's suffix keeps clusters that share a
            // database in different schemas apart.
            const auto suffix =
                connection.exec("SELECT '_' || to_hex(hashtext(current_schema()))").text(0, 0);
            connection.exec("LISTEN botcore_books" + suffix + "; LISTEN botcore_revoked" + suffix +
                            "; LISTEN botcore_ticks" + suffix + "; LISTEN botcore_bots" + suffix);
            // Changes committed before are in what is read from now on (or, after a
            // reconnection, in the every-book announcement below).
            const auto now = connection.exec(kUnended);
            Unended unended{now.text(0, 0), now.text(0, 1)};
            auto last_read = std::chrono::steady_clock::now();
            auto next_read = last_read + kBookChangesInterval;
            // Revocations committed before this LISTEN (while away, or before the first one,
            // after the instance read them at start) are read again. Before listening is
            // declared: a revocation committed once a watch_* call has returned is then
            // announced once, by its notification, not also by this read.
            announce_revocations();
            {
                std::lock_guard lock(watchers_mutex_);
                listening_ = true;
            }
            listening_started_.notify_all();
            if (listened_before) {
                // Announcements may have been missed while away: every book and every bot may
                // have changed.
                book_changed("");
                bot_changed("");
            }
            listened_before = true;
            while (!stopping_) {
                const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
                    next_read - std::chrono::steady_clock::now());
                for (const auto& [channel, payload] : connection.notifications(
                         std::clamp(wait, std::chrono::milliseconds(0), kBookChangesInterval))) {
                    if (channel.ends_with(suffix)) {
                        announce(
                            std::string_view(channel).substr(0, channel.size() - suffix.size()),
                            payload);
                    }
                }
                if (const auto now = std::chrono::steady_clock::now(); now >= next_read) {
                    read_book_changes(connection, unended);
                    if (now - last_read > kBookChangesStall) {
                        // Away long enough for rows it had not read to be pruned.
                        book_changed("");
                    }
                    last_read = now;
                    next_read = std::chrono::steady_clock::now() + kBookChangesInterval;
                }
            }
        } catch (const ports::StoreUnavailable&) {
            for (int i = 0; i < 5 && !stopping_; ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
            }
        }
    }
}

std::vector<std::exception_ptr> PgStore::commit_batch(std::size_t committer,
                                                      std::vector<Batch>& batch) {
    auto& writer = writers_[committer];
    try {
        if (!writer || !writer->still_open()) {
            writer.reset();
            writer = std::make_unique<Connection>(pooled_url(), pooled_statements());
        }
        return writer->run_batch(batch);
    } catch (...) {
        // Whether it committed is unknown; the next batch starts on a new connection.
        writer.reset();
        throw;
    }
}

std::vector<std::string> PgStore::migrate(std::int64_t now_ms) {
    auto connection = primary_.acquire();
    return postgres::migrate(*connection, now_ms);
}

int PgStore::schema_version() {
    auto connection = primary_.acquire();
    return postgres::schema_version(*connection);
}

int PgStore::known_schema_version() const {
    return postgres::known_schema_version();
}

std::string PgStore::location() const {
    return without_password(settings_.url);
}

ports::EngineStats PgStore::stats() const {
    ports::EngineStats out;
    for (const auto& committer : committers_) {
        out.commit_batches += committer->batches();
        out.committed_writes += committer->items();
    }
    out.connections_open = primary_.open();
    out.connections_ended = primary_.ended();
    out.replicas = router_->replicas();
    return out;
}

void PgStore::insert_audit(Connection& connection, const ports::AuditEvent& audit) {
    connection.run(
        kInsertAudit,
        Params::of(audit.user_id.empty() ? std::nullopt : std::optional<std::string>(audit.user_id),
                   audit.ip, audit.action, audit.detail, audit.created_ms));
}

std::optional<ports::User> PgStore::create_user(const ports::NewUser& user,
                                                const ports::AuditEvent& audit) {
    auto connection = primary_.acquire();
    Transaction tx(*connection);
    if (!connection->run_unique(kInsertUser,
                                Params::of(user.user.id, user.user.email, user.user.display_name,
                                           user.password_hash, user.user.created_ms))) {
        return std::nullopt;
    }
    connection->run(kInsertAccount,
                    Params::of(user.user.id, user.initial_balance.units(), user.user.created_ms));
    insert_audit(*connection, audit);
    tx.commit();
    return user.user;
}

std::optional<ports::Credentials> PgStore::find_credentials(std::string_view email) {
    auto connection = primary_.acquire();
    const auto r = connection->run(kFindCredentials, Params::of(email));
    if (r.rows() == 0) {
        return std::nullopt;
    }
    return ports::Credentials{
        ports::User{r.text(0, 0), r.text(0, 1), r.text(0, 2), r.integer(0, 3)}, r.text(0, 4),
        auth::LoginState{static_cast<int>(r.integer(0, 5)), r.integer(0, 6), r.integer(0, 7)}};
}

std::optional<ports::User> PgStore::find_user(std::string_view user_id) {
    auto connection = primary_.acquire();
    const auto r = connection->run(kFindUser, Params::of(user_id));
    if (r.rows() == 0) {
        return std::nullopt;
    }
    return ports::User{r.text(0, 0), r.text(0, 1), r.text(0, 2), r.integer(0, 3)};
}

auth::LoginState PgStore::update_login_state(
    std::string_view user_id, const std::function<auth::LoginState(auth::LoginState)>& change,
    const std::vector<ports::AuditEvent>& audit) {
    auto connection = primary_.acquire();
    Transaction tx(*connection);
    // FOR UPDATE: concurrent failed logins, on any instance, each count once.
    const auto r = connection->run(kLockLoginState, Params::of(user_id));
    if (r.rows() == 0) {
        return {};
    }
    auto state = change(
        auth::LoginState{static_cast<int>(r.integer(0, 0)), r.integer(0, 1), r.integer(0, 2)});
    connection->run(kWriteLoginState, Params::of(state.failures, state.window_start_ms,
                                                 state.locked_until_ms, user_id));
    for (const auto& event : audit) {
        insert_audit(*connection, event);
    }
    tx.commit();
    return state;
}

void PgStore::record_login(const ports::RefreshToken& token, const ports::AuditEvent& audit) {
    auto connection = primary_.acquire();
    Transaction tx(*connection);
    connection->run(kResetLoginState, Params::of(token.user_id));
    connection->run(kInsertRefresh, Params::of(token.user_id, token.token_hash, token.access_jti,
                                               token.created_ms, token.expires_ms));
    insert_audit(*connection, audit);
    tx.commit();
}

std::expected<std::string, ports::RotateError> PgStore::rotate_refresh_token(
    std::string_view old_hash, std::int64_t now_ms, const ports::RefreshToken& replacement) {
    auto connection = primary_.acquire();
    Transaction tx(*connection);
    const auto r = connection->run(kLockRefresh, Params::of(old_hash));
    if (r.rows() == 0) {
        return std::unexpected(ports::RotateError::kUnknown);
    }
    const std::string user_id = r.text(0, 0);
    if (r.boolean(0, 2)) {
        // A used token presented again: someone holds a copy. End every session's refresh.
        connection->run(kRevokeUnusedRefresh, Params::of(now_ms, user_id));
        insert_audit(*connection,
                     {user_id, "", "refresh_reused", "every refresh token revoked", now_ms});
        tx.commit();
        return std::unexpected(ports::RotateError::kReused);
    }
    if (r.boolean(0, 3)) {
        return std::unexpected(ports::RotateError::kRevoked);
    }
    if (r.integer(0, 1) <= now_ms) {
        return std::unexpected(ports::RotateError::kExpired);
    }
    connection->run(kUseRefresh, Params::of(now_ms, old_hash));
    connection->run(kInsertRefresh,
                    Params::of(user_id, replacement.token_hash, replacement.access_jti,
                               replacement.created_ms, replacement.expires_ms));
    tx.commit();
    return user_id;
}

void PgStore::revoke_session(std::string_view user_id, const ports::RevokedToken& access,
                             const ports::AuditEvent& audit) {
    auto connection = primary_.acquire();
    Transaction tx(*connection);
    connection->run(kRevokeJti, Params::of(access.jti, user_id, access.expires_ms));
    connection->run(kAnnounceRevoked, Params::of(access.jti, access.expires_ms));
    connection->run(kRevokeRefreshOfJti, Params::of(audit.created_ms, user_id, access.jti));
    insert_audit(*connection, audit);
    tx.commit();
}

std::vector<ports::RevokedToken> PgStore::revoked_tokens(std::int64_t now_ms) {
    auto connection = primary_.acquire();
    const auto r = connection->run(kRevokedTokens, Params::of(now_ms));
    std::vector<ports::RevokedToken> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back({r.text(i, 0), r.integer(i, 1)});
    }
    return out;
}

void PgStore::change_password(std::string_view user_id, std::string_view password_hash,
                              const ports::AuditEvent& audit) {
    auto connection = primary_.acquire();
    Transaction tx(*connection);
    connection->run(kChangePassword, Params::of(password_hash, audit.created_ms, user_id));
    connection->run(kRevokeAllRefresh, Params::of(audit.created_ms, user_id));
    insert_audit(*connection, audit);
    tx.commit();
}

void PgStore::append_audit(const ports::AuditEvent& audit) {
    auto connection = primary_.acquire();
    insert_audit(*connection, audit);
}

std::vector<ports::AuditEvent> PgStore::audit_log(std::string_view user_id, int limit) {
    auto connection = primary_.acquire();
    const auto r = connection->run(kAuditLog, Params::of(user_id, limit));
    std::vector<ports::AuditEvent> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.integer(i, 4)});
    }
    return out;
}

bool PgStore::ping() {
    try {
        auto connection = primary_.acquire();
        return connection->exec("SELECT 1").integer(0, 0) == 1;
    } catch (const ports::StoreUnavailable&) {
        return false;
    }
}

std::vector<ports::TableSize> PgStore::table_sizes() {
    auto connection = primary_.acquire();
    const auto r = connection->run(kTableSizes);
    std::vector<ports::TableSize> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back({r.text(i, 0), r.integer(i, 1)});
    }
    return out;
}

int PgStore::connections_active() const {
    return primary_.in_use();
}

}  // namespace botcore::adapters::postgres
