// The shared Store: PostgreSQL through libpq. Reads use a pooled connection on the primary or,
// by read preference, a replica; trading and market writes go through group commit
// (one pipelined transaction for many commands, each caller answered after the commit).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/commit_queue.hpp"
#include "adapters/postgres/pg_pool.hpp"
#include "adapters/postgres/pg_read_routing.hpp"
#include "ops/periodic_task.hpp"
#include "ports/store_engine.hpp"

namespace botcore::adapters::postgres {

struct PgSettings {
    std::string url;  // the primary: sessions of their own (LISTEN, advisory locks)
    // A pooler in transaction mode in front of the primary (PgBouncer): the pool and the
    // group-commit writer connect through it, with unprepared statements. Empty: none.
    std::string pooler_url;
    std::vector<std::string> replica_urls;  // streaming replicas for reads
    PoolSettings pool;
    std::chrono::milliseconds max_replica_lag{5000};
    ReadPreference history = ReadPreference::kSecondaryPreferred;    // trades, performance, audit
    ReadPreference analytics = ReadPreference::kSecondaryPreferred;  // candles, signals
    std::size_t max_batch = 512;
    // Group-commit connections, each with its own queue: a user's (or symbol's) writes always
    // take the same one, so they commit in order while the others' commits overlap.
    int committers = 1;
};

// Users and sessions are in pg_store.cpp, trading in pg_trading_store.cpp, market data and bots
// in pg_market_store.cpp.
class PgStore final : public ports::StoreEngine, public ports::TickBus {
  public:
    // Connects (the pool's minimum); throws StoreUnavailable when the primary cannot be reached.
    explicit PgStore(PgSettings settings);
    ~PgStore() override;

    std::vector<std::string> migrate(std::int64_t now_ms) override;
    int schema_version() override;
    int known_schema_version() const override;
    std::string location() const override;
    void flush() override;
    ports::EngineStats stats() const override;

    std::optional<ports::User> create_user(const ports::NewUser& user,
                                           const ports::AuditEvent& audit) override;
    std::optional<ports::Credentials> find_credentials(std::string_view email) override;
    std::optional<ports::User> find_user(std::string_view user_id) override;
    auth::LoginState update_login_state(
        std::string_view user_id, const std::function<auth::LoginState(auth::LoginState)>& change,
        const std::vector<ports::AuditEvent>& audit) override;
    void record_login(const ports::RefreshToken& token, const ports::AuditEvent& audit) override;
    std::expected<std::string, ports::RotateError> rotate_refresh_token(
        std::string_view old_hash, std::int64_t now_ms,
        const ports::RefreshToken& replacement) override;
    void revoke_session(std::string_view user_id, const ports::RevokedToken& access,
                        const ports::AuditEvent& audit) override;
    std::vector<ports::RevokedToken> revoked_tokens(std::int64_t now_ms) override;
    void change_password(std::string_view user_id, std::string_view password_hash,
                         const ports::AuditEvent& audit) override;
    void append_audit(const ports::AuditEvent& audit) override;
    std::vector<ports::AuditEvent> audit_log(std::string_view user_id, int limit) override;
    bool ping() override;
    std::vector<ports::TableSize> table_sizes() override;
    int connections_active() const override;

    std::optional<domain::PortfolioState> load_portfolio(std::string_view user_id) override;
    std::optional<std::int64_t> book_revision(std::string_view user_id) override;
    void commit(ports::TradingWrite write, Done done) override;
    std::optional<domain::Order> find_order(std::string_view user_id,
                                            std::string_view order_id) override;
    std::optional<domain::Order> find_order_by_client_id(std::string_view user_id,
                                                         std::string_view client_order_id) override;
    std::vector<domain::Fill> fills(std::string_view user_id, std::string_view order_id) override;
    std::vector<domain::Order> orders(std::string_view user_id,
                                      const ports::OrderQuery& query) override;
    std::vector<domain::Trade> trades(std::string_view user_id,
                                      const ports::TradeQuery& query) override;
    ports::TradeHistory all_trades(std::string_view user_id) override;
    std::vector<std::string> users_with_open_books() override;
    std::vector<std::string> held_symbols() override;
    std::int64_t open_positions() override;

    void save_candle(std::string_view symbol, market::Interval interval,
                     const market::Candle& candle, std::function<void(bool stored)> done,
                     CandleSave how) override;
    std::vector<market::Candle> candles(std::string_view symbol, market::Interval interval,
                                        std::optional<std::int64_t> end_ms, int limit) override;
    std::int64_t delete_candles_before(std::int64_t cutoff_ms) override;
    void save_analysis(std::string_view symbol, StoredAnalysis analysis) override;
    std::optional<StoredAnalysis> find_analysis(std::string_view symbol) override;

    void change_bot(const std::string& user_id,
                    std::function<std::optional<ports::StoredBot>(
                        const std::optional<ports::StoredBot>& stored)>
                        change,
                    std::function<void(std::exception_ptr)> done) override;
    std::vector<ports::StoredBot> all_bots() override;
    std::optional<ports::StoredBot> find_bot(std::string_view user_id) override;
    void watch_bots(std::function<void(const std::string& user_id)> changed) override;

    // Every group-commit batch records its books in book_changes, which the listener reads
    // every 100 ms; revocations are announced on botcore_revoked in the revoking transaction.
    // One listener thread forwards them.
    void watch_books(std::function<void(const std::string& user_id)> changed) override;
    void watch_revocations(std::function<void(const ports::RevokedToken& token)> revoked) override;
    // One step of book_changes upkeep (run every 30 s): deletes the rows of transactions that
    // ended before the oldest one running two steps ago, so every listener has had that long
    // to read them; a transaction still running keeps every row from its start on.
    void prune_book_changes();
    // The application_name of this store's listener session ("botcore listener <tag>"), so an
    // operator can tell it apart in pg_stat_activity.
    std::string listener_name() const { return "botcore listener " + instance_tag_; }

    // Ticks travel on the channel botcore_ticks.
    ports::TickBus* tick_bus() override { return this; }
    void publish(std::span<const ports::Tick> ticks) override;
    void watch(std::function<void(std::span<const ports::Tick> ticks)> received) override;

  private:
    using Batch = std::vector<Command>;
    std::vector<std::exception_ptr> commit_batch(std::size_t committer, std::vector<Batch>& batch);
    CommitQueue<Batch>& committer_for(std::string_view key);
    void start_listening();
    void listen();
    void announce(std::string_view channel, const std::string& payload);
    // Tells the revocation watcher of every token still revoked.
    void announce_revocations();
    // The transactions that had not ended at a snapshot: from its xmax on, and those it saw
    // running (an xid8[] literal).
    struct Unended {
        std::string from;
        std::string running;
    };
    // Forwards the books changed by other instances in the transactions of `unended` that have
    // ended since, and advances it to the current snapshot.
    void read_book_changes(Connection& connection, Unended& unended);
    void book_changed(const std::string& user_id);
    void bot_changed(const std::string& user_id);
    void upkeep();
    void insert_audit(Connection& connection, const ports::AuditEvent& audit);
    // Where pooled connections go (the pooler, else the primary), and how they send statements.
    const std::string& pooled_url() const;
    Statements pooled_statements() const;
    PoolSettings pooled_pool() const;  // settings.pool with pooled_statements()

    PgSettings settings_;
    const std::string instance_tag_;  // marks this store's own notifications
    std::atomic<bool> stopping_{false};
    std::mutex watchers_mutex_;
    std::function<void(const std::string& user_id)> book_changed_;
    std::function<void(const std::string& user_id)> bot_changed_;
    std::function<void(const ports::RevokedToken& token)> token_revoked_;
    std::function<void(std::span<const ports::Tick> ticks)> ticks_received_;
    std::once_flag listener_started_;
    std::condition_variable listening_started_;
    bool listening_ = false;  // guarded by watchers_mutex_
    // Oldest running transaction ids seen by upkeep, oldest first: book_changes of transactions
    // older than the front are older than a minute and have been read by every listener.
    std::mutex prune_mutex_;
    std::deque<std::string> upkeep_xmins_;  // guarded by prune_mutex_
    int upkeep_runs_ = 0;
    std::thread listener_;
    Pool primary_;
    std::unique_ptr<ReadRouter> router_;
    std::vector<std::unique_ptr<Connection>> writers_;  // one per committer, used by it alone
    std::unique_ptr<ops::PeriodicTask> upkeep_;
    // Last: they stop before the rest goes.
    std::vector<std::unique_ptr<CommitQueue<Batch>>> committers_;
};

}  // namespace botcore::adapters::postgres
