// RAII over libpq: a connection with its prepared statements, results, text parameters, and
// pipelined batches of statements (many commands' writes sent in one round trip).
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace botcore::adapters::postgres {

// A statement prepared once per connection under its name. A statement with a bulk form is
// merged with its like in a batch: bulk takes each parameter as an array ($k holds every merged
// statement's k-th parameter), so many rows cost one statement. Merged statements run in rank
// order (each command's statements must already be in that order), and a group is split where
// the key parameter would repeat, so no bulk statement touches one row twice.
struct Sql {
    const char* name;
    const char* text;
    const Sql* bulk = nullptr;
    int rank = 0;
    int key_param = 0;
};

// Parameters in text format ($1, $2, ...); nullopt is SQL NULL.
class Params {
  public:
    Params() = default;
    template <class... Args>
    static Params of(const Args&... args) {
        Params params;
        (params.add(args), ...);
        return params;
    }

    Params& add(std::string_view text) {
        values_.emplace_back(std::string(text));
        return *this;
    }
    Params& add(const std::string& text) { return add(std::string_view(text)); }
    Params& add(const char* text) { return add(std::string_view(text)); }
    Params& add(std::int64_t number) {
        values_.emplace_back(std::to_string(number));
        return *this;
    }
    Params& add(int number) { return add(static_cast<std::int64_t>(number)); }
    Params& add(bool flag) {
        values_.emplace_back(flag ? "true" : "false");
        return *this;
    }
    Params& add(std::nullopt_t) {
        values_.emplace_back(std::nullopt);
        return *this;
    }
    template <class T>
    Params& add(const std::optional<T>& value) {
        return value ? add(*value) : add(std::nullopt);
    }

    int size() const { return static_cast<int>(values_.size()); }
    const std::optional<std::string>& at(int index) const {
        return values_[static_cast<std::size_t>(index)];
    }
    // Pointers into this object: valid until it changes.
    std::vector<const char*> pointers() const;

  private:
    std::vector<std::optional<std::string>> values_;
};

class Result {
  public:
    explicit Result(PGresult* result) : result_(result, &PQclear) {}

    PGresult* handle() const { return result_.get(); }
    int rows() const { return PQntuples(result_.get()); }
    std::int64_t affected() const;
    bool is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
    std::string text(int row, int column) const {
        return {PQgetvalue(result_.get(), row, column),
                static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
    }
    std::int64_t integer(int row, int column) const;
    bool boolean(int row, int column) const { return text(row, column) == "t"; }

  private:
    std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

// One statement of a batch.
struct Command {
    const Sql* sql;
    Params params;
};

// Whether statements are prepared once per connection, or sent with their text every time: a
// pooler in transaction mode (PgBouncer) hands each transaction a different server connection,
// where a statement prepared on another would not exist.
enum class Statements { kPrepared, kUnprepared };

// Connection failures, server errors and unexpected results throw ports::StoreUnavailable (the
// API answers 503); a unique violation is reported by run_unique instead.
class Connection {
  public:
    // application_name: how the session shows in pg_stat_activity.
    explicit Connection(const std::string& url, Statements statements = Statements::kPrepared,
                        const std::string& application_name = "botcore");
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Whether the connection is still usable (a broken one is dropped by its pool).
    bool healthy() const;
    // healthy(), and nothing came from the server while idle: for a session that listens to
    // nothing, that is the server ending it (a restart, a failover, pg_terminate_backend). One
    // poll(), no round trip; a server that vanished without a word is not seen here.
    bool still_open();
    // The session is lost (the server or the network failed; libpq noticed it during a command).
    bool broken() const;
    // A plain query, possibly several statements, no parameters.
    Result exec(std::string_view sql);
    Result run(const Sql& sql, const Params& params = {});
    // false when the statement violated a unique constraint.
    bool run_unique(const Sql& sql, const Params& params);

    // Runs every item's commands in one transaction, pipelined (one round trip, one commit), with
    // statements that have a bulk form merged across items. When anything fails, the transaction
    // is rolled back and each item is run again alone, so one bad item fails alone. Returns each
    // item's outcome (nullptr: committed). Throws StoreUnavailable when the outcome of the commit
    // is unknown (the connection broke).
    std::vector<std::exception_ptr> run_batch(std::span<const std::vector<Command>> items);

    // Waits up to timeout for notifications on the channels this connection LISTENs to: (channel,
    // payload) pairs. Throws StoreUnavailable when the connection broke.
    std::vector<std::pair<std::string, std::string>> notifications(
        std::chrono::milliseconds timeout);

    std::int64_t idle_since_ms = 0;  // kept by the pool

  private:
    void prepare(const Sql& sql);
    // PQexecPrepared or PQexecParams, by the statements mode.
    PGresult* execute(const Sql& sql, const Params& params);
    // One transaction of these items' commands: nullptr when it committed, else the first error
    // (the transaction was rolled back).
    std::exception_ptr pipeline(std::span<const std::vector<Command>> items);
    void flush_pipeline();
    [[noreturn]] void fail(std::string_view what) const;

    PGconn* conn_ = nullptr;
    Statements statements_;
    std::unordered_set<std::string> prepared_;
};

// BEGIN ... COMMIT on a connection, rolled back unless commit() was called. begin may name the
// transaction's mode ("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").
class Transaction {
  public:
    explicit Transaction(Connection& connection, std::string_view begin = "BEGIN");
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

  private:
    Connection& connection_;
    bool done_ = false;
};

}  // namespace botcore::adapters::postgres
