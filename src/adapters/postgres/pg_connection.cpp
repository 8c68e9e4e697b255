#include "adapters/postgres/pg_connection.hpp"

#include <poll.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "ports/store.hpp"

namespace botcore::adapters::postgres {

namespace {

constexpr int kIoTimeoutMs = 30'000;

std::string error_of(const PGresult* result) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    std::string message = PQresultErrorMessage(result);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
        message.pop_back();
    }
    return state != nullptr ? message + " (" + state + ")" : message;
}

// One array element in PostgreSQL's text form: "..." with " and \ escaped, or NULL.
void append_element(std::string& out, const std::optional<std::string>& value) {
    if (!value) {
        out += "NULL";
        return;
    }
    out += '"';
    for (const char c : *value) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    out += '"';
}

// The commands of every item, in rank order, with runs of one bulk-capable statement merged into
// its bulk form (split where the key parameter would repeat).
std::vector<Command> merged(std::span<const std::vector<Command>> items) {
    std::vector<const Command*> all;
    for (const auto& item : items) {
        for (const auto& command : item) {
            all.push_back(&command);
        }
    }
    std::stable_sort(all.begin(), all.end(), [](const Command* a, const Command* b) {
        return a->sql->rank < b->sql->rank;
    });
    std::vector<Command> out;
    for (std::size_t i = 0; i < all.size();) {
        const Sql* sql = all[i]->sql;
        if (sql->bulk == nullptr) {
            out.push_back(*all[i++]);
            continue;
        }
        std::vector<const Command*> group;
        std::unordered_set<std::string> keys;
        while (i < all.size() && all[i]->sql == sql) {
            const auto& key = all[i]->params.at(sql->key_param);
            if (!keys.insert(key.value_or("")).second) {
                break;
            }
            group.push_back(all[i++]);
        }
        if (group.size() == 1) {
            out.push_back(*group.front());
            continue;
        }
        Params arrays;
        for (int k = 0; k < group.front()->params.size(); ++k) {
            std::string array = "{";
            for (std::size_t g = 0; g < group.size(); ++g) {
                if (g > 0) {
                    array += ',';
                }
                append_element(array, group[g]->params.at(k));
            }
            array += '}';
            arrays.add(array);
        }
        out.push_back({sql->bulk, std::move(arrays)});
    }
    return out;
}

bool succeeded(const PGresult* result) {
    const auto status = PQresultStatus(result);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

}  // namespace

std::vector<const char*> Params::pointers() const {
    std::vector<const char*> out;
    out.reserve(values_.size());
    for (const auto& value : values_) {
        out.push_back(value ? value->c_str() : nullptr);
    }
    return out;
}

std::int64_t Result::affected() const {
    const char* text = PQcmdTuples(result_.get());
    std::int64_t count = 0;
    std::from_chars(text, text + std::strlen(text), count);
    return count;
}

std::int64_t Result::integer(int row, int column) const {
    const char* text = PQgetvalue(result_.get(), row, column);
    const auto length = static_cast<std::size_t>(PQgetlength(result_.get(), row, column));
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text, text + length, value);
    if (ec != std::errc() || end != text + length) {
        throw ports::StoreUnavailable("unreadable integer in the store: " +
                                      std::string(text, length));
    }
    return value;
}

Connection::Connection(const std::string& url, Statements statements,
                       const std::string& application_name)
    : statements_(statements) {
    // Keywords after the URL override it: a dead server is noticed within seconds.
    const std::array<const char*, 8> keys = {
        "dbname",           "connect_timeout",  "keepalives_idle",  "keepalives_interval",
        "keepalives_count", "application_name", "tcp_user_timeout", nullptr};
    const std::array<const char*, 8> values = {
        url.c_str(), "5", "10", "5", "3", application_name.c_str(), "30000", nullptr};
    conn_ = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
        std::string message = conn_ != nullptr ? PQerrorMessage(conn_) : "out of memory";
        while (!message.empty() && message.back() == '\n') {
            message.pop_back();
        }
        PQfinish(conn_);
        conn_ = nullptr;
        throw ports::StoreUnavailable("cannot connect to PostgreSQL: " + message);
    }
    // Server notices ("schema does not exist, skipping") are not errors; libpq would print them.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    // Sends never block: a large pipeline is written while its results are read (flush_pipeline).
    PQsetnonblocking(conn_, 1);
}

Connection::~Connection() {
    PQfinish(conn_);
}

bool Connection::healthy() const {
    return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK &&
           PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

bool Connection::broken() const {
    return conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD;
}

bool Connection::still_open() {
    if (!healthy()) {
        return false;
    }
    // An idle session that listens to nothing is sent nothing, but the server's farewell
    // ("terminating connection ...", then the end of the stream; the two may come apart). A rare
    // notice or parameter report costs a new session.
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    int ready = 0;
    do {
        ready = ::poll(&fd, 1, 0);
    } while (ready < 0 && errno == EINTR);
    // A poll() that fails otherwise says nothing of the session: the next command will.
    return ready <= 0;
}

void Connection::fail(std::string_view what) const {
    std::string message = PQerrorMessage(conn_);
    while (!message.empty() && message.back() == '\n') {
        message.pop_back();
    }
    throw ports::StoreUnavailable(std::string(what) + ": " + message);
}

Result Connection::exec(std::string_view sql) {
    Result result(PQexec(conn_, std::string(sql).c_str()));
    if (!succeeded(result.handle())) {
        throw ports::StoreUnavailable(std::string(sql.substr(0, 40)) + ": " +
                                      error_of(result.handle()));
    }
    return result;
}

void Connection::prepare(const Sql& sql) {
    if (statements_ == Statements::kUnprepared || prepared_.contains(sql.name)) {
        return;
    }
    Result result(PQprepare(conn_, sql.name, sql.text, 0, nullptr));
    if (!succeeded(result.handle())) {
        throw ports::StoreUnavailable(std::string("preparing ") + sql.name + ": " +
                                      error_of(result.handle()));
    }
    prepared_.insert(sql.name);
}

PGresult* Connection::execute(const Sql& sql, const Params& params) {
    const auto pointers = params.pointers();
    if (statements_ == Statements::kUnprepared) {
        return PQexecParams(conn_, sql.text, params.size(), nullptr, pointers.data(), nullptr,
                            nullptr, 0);
    }
    prepare(sql);
    return PQexecPrepared(conn_, sql.name, params.size(), pointers.data(), nullptr, nullptr, 0);
}

Result Connection::run(const Sql& sql, const Params& params) {
    Result result(execute(sql, params));
    if (!succeeded(result.handle())) {
        throw ports::StoreUnavailable(std::string(sql.name) + ": " + error_of(result.handle()));
    }
    return result;
}

bool Connection::run_unique(const Sql& sql, const Params& params) {
    Result result(execute(sql, params));
    if (succeeded(result.handle())) {
        return true;
    }
    const char* state = PQresultErrorField(result.handle(), PG_DIAG_SQLSTATE);
    if (state != nullptr && std::strcmp(state, "23505") == 0) {
        return false;
    }
    throw ports::StoreUnavailable(std::string(sql.name) + ": " + error_of(result.handle()));
}

std::vector<std::pair<std::string, std::string>> Connection::notifications(
    std::chrono::milliseconds timeout) {
    std::vector<std::pair<std::string, std::string>> out;
    const auto take = [this, &out] {
        while (PGnotify* notify = PQnotifies(conn_)) {
            out.emplace_back(notify->relname, notify->extra);
            PQfreemem(notify);
        }
    };
    take();
    if (!out.empty()) {
        return out;
    }
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    const int ready = ::poll(&fd, 1, static_cast<int>(timeout.count()));
    if (ready < 0 || PQsocket(conn_) < 0) {
        fail("waiting for notifications");
    }
    if (ready > 0 && PQconsumeInput(conn_) == 0) {
        fail("reading notifications");
    }
    take();
    return out;
}

void Connection::flush_pipeline() {
    for (;;) {
        const int pending = PQflush(conn_);
        if (pending == 0) {
            return;
        }
        if (pending < 0) {
            fail("sending to PostgreSQL");
        }
        // The server may be waiting for us to read its results before it reads more.
        pollfd fd{PQsocket(conn_), POLLIN | POLLOUT, 0};
        const int ready = ::poll(&fd, 1, kIoTimeoutMs);
        if (ready <= 0) {
            throw ports::StoreUnavailable("PostgreSQL did not accept the batch in time");
        }
        if ((fd.revents & POLLIN) != 0 && PQconsumeInput(conn_) == 0) {
            fail("reading from PostgreSQL");
        }
    }
}

std::exception_ptr Connection::pipeline(std::span<const std::vector<Command>> items) {
    const auto commands = merged(items);
    for (const auto& command : commands) {
        prepare(*command.sql);
    }
    if (PQenterPipelineMode(conn_) != 1) {
        fail("entering pipeline mode");
    }
    std::vector<const char*> names;  // what each queued query was, for errors
    const auto send_plain = [this, &names](const char* sql) {
        if (PQsendQueryParams(conn_, sql, 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) {
            fail("queueing a statement");
        }
        names.push_back(sql);
    };
    send_plain("BEGIN");
    // Every statement of a batch reaches its rows by key. A planner that sees a batch of many
    // keys against a table it has not analyzed since its last burst of churn would rather
    // hash-join over a sequential scan of every dead row version (measured: a third of the
    // committing backend's time went to scanning positions).
    send_plain("SET LOCAL enable_seqscan = off");
    for (const auto& command : commands) {
        const auto pointers = command.params.pointers();
        const int sent = statements_ == Statements::kUnprepared
                             ? PQsendQueryParams(conn_, command.sql->text, command.params.size(),
                                                 nullptr, pointers.data(), nullptr, nullptr, 0)
                             : PQsendQueryPrepared(conn_, command.sql->name, command.params.size(),
                                                   pointers.data(), nullptr, nullptr, 0);
        if (sent != 1) {
            fail("queueing a statement");
        }
        names.push_back(command.sql->name);
    }
    send_plain("COMMIT");
    if (PQpipelineSync(conn_) != 1) {
        fail("ending a pipeline");
    }
    flush_pipeline();

    std::exception_ptr failure;
    for (const char* name : names) {
        PGresult* raw = PQgetResult(conn_);
        if (raw == nullptr) {
            fail("PostgreSQL ended a batch early");
        }
        Result result(raw);
        if (PQresultStatus(raw) == PGRES_FATAL_ERROR && !failure) {
            const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
            const auto message = std::string(name) + ": " + error_of(raw);
            // serialization_failure: raised by botcore_stale_write() (or a serializable
            // transaction): retrying on a fresh read is the answer.
            failure = state != nullptr && std::strcmp(state, "40001") == 0
                          ? std::make_exception_ptr(ports::WriteConflict(message))
                          : std::make_exception_ptr(ports::StoreUnavailable(message));
        }
        // Each query's results end with a null result.
        while (PGresult* extra = PQgetResult(conn_)) {
            PQclear(extra);
        }
    }
    Result sync(PQgetResult(conn_));
    if (PQresultStatus(sync.handle()) != PGRES_PIPELINE_SYNC) {
        fail("PostgreSQL did not end the batch");
    }
    if (PQexitPipelineMode(conn_) != 1) {
        fail("leaving pipeline mode");
    }
    if (failure && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
        exec("ROLLBACK");
    }
    return failure;
}

std::vector<std::exception_ptr> Connection::run_batch(std::span<const std::vector<Command>> items) {
    std::vector<std::exception_ptr> outcome(items.size());
    const auto failure = pipeline(items);
    if (!failure) {
        return outcome;
    }
    if (items.size() == 1) {
        outcome[0] = failure;
        return outcome;
    }
    // Rolled back whole: run each item alone so that only the failing ones fail.
    for (std::size_t i = 0; i < items.size(); ++i) {
        outcome[i] = pipeline(items.subspan(i, 1));
    }
    return outcome;
}

Transaction::Transaction(Connection& connection, std::string_view begin) : connection_(connection) {
    connection_.exec(begin);
}

Transaction::~Transaction() {
    if (!done_) {
        try {
            connection_.exec("ROLLBACK");
        } catch (...) {
            // The connection is broken; its pool drops it.
        }
    }
}

void Transaction::commit() {
    done_ = true;
    connection_.exec("COMMIT");
}

}  // namespace botcore::adapters::postgres
