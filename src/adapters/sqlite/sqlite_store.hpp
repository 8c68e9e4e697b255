// The embedded Store: one SQLite file in WAL mode, one writer connection, a pool of readers.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "adapters/sqlite/group_commit.hpp"
#include "adapters/sqlite/sqlite_db.hpp"
#include "ops/periodic_task.hpp"
#include "ports/store_engine.hpp"

namespace botcore::adapters::sqlite {

// Users and sessions are in sqlite_store.cpp, trading in sqlite_trading_store.cpp.
class SqliteStore final : public ports::StoreEngine {
  public:
    // Opens (creating) data_dir/botcore.db. Throws StoreUnavailable if it cannot.
    SqliteStore(const std::string& data_dir, int readers);
    ~SqliteStore() override;

    static std::string database_path(const std::string& data_dir);
    std::vector<std::string> migrate(std::int64_t now_ms) override;
    int schema_version() override;
    int known_schema_version() const override;
    std::string location() const override { return path_; }
    void flush() override { committer_->flush(); }
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

    // TradingStore
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
    // MarketStore (sqlite_market_store.cpp)
    void save_candle(std::string_view symbol, market::Interval interval,
                     const market::Candle& candle, std::function<void(bool stored)> done,
                     CandleSave how) override;
    std::vector<market::Candle> candles(std::string_view symbol, market::Interval interval,
                                        std::optional<std::int64_t> end_ms, int limit) override;
    std::int64_t delete_candles_before(std::int64_t cutoff_ms) override;
    void save_analysis(std::string_view symbol, StoredAnalysis analysis) override;
    std::optional<StoredAnalysis> find_analysis(std::string_view symbol) override;
    // BotStore (sqlite_bot_store.cpp)
    void change_bot(const std::string& user_id,
                    std::function<std::optional<ports::StoredBot>(
                        const std::optional<ports::StoredBot>& stored)>
                        change,
                    std::function<void(std::exception_ptr)> done) override;
    std::vector<ports::StoredBot> all_bots() override;
    std::optional<ports::StoredBot> find_bot(std::string_view user_id) override;

    bool ping() override;
    std::vector<ports::TableSize> table_sizes() override;
    int connections_active() const override;

  private:
    // A read connection borrowed from the pool for one call.
    class ReaderLease {
      public:
        ReaderLease(SqliteStore& store, Connection* connection)
            : store_(store), connection_(connection) {}
        ~ReaderLease() { store_.give_back(connection_); }
        ReaderLease(const ReaderLease&) = delete;
        ReaderLease& operator=(const ReaderLease&) = delete;
        Connection* operator->() const { return connection_; }
        Connection& operator*() const { return *connection_; }

      private:
        SqliteStore& store_;
        Connection* connection_;
    };
    ReaderLease reader();
    void give_back(Connection* connection);
    void insert_audit(const ports::AuditEvent& audit);      // writer held
    void insert_refresh(const ports::RefreshToken& token);  // writer held

    std::string path_;
    std::mutex writer_mutex_;
    std::unique_ptr<Connection> writer_;
    std::mutex readers_mutex_;
    std::condition_variable reader_free_;
    std::vector<Connection*> idle_readers_;
    std::vector<std::unique_ptr<Connection>> all_readers_;
    std::atomic<int> busy_{0};
    std::unique_ptr<Connection> checkpointer_;
    std::unique_ptr<ops::PeriodicTask> checkpoints_;
    std::unique_ptr<GroupCommitter> committer_;  // last: stops before the connections close
};

}  // namespace botcore::adapters::sqlite
