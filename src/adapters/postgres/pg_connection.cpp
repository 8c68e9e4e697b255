#include "adapters/postgres/pg_connection.hpp"

#include <poll.h>

#include <array>
#include <charconv>
#include <cstring>
#include <limits>

#include "ports/store.hpp"

namespace botcore::adapters::postgres {

namespace {

constexpr std::size_t kWholeBatch = std::numeric_limits<std::size_t>::max();
constexpr int kIoTimeoutMs = 30'000;

std::string error_of(const PGresult* result) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    std::string message = PQresultErrorMessage(result);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
        message.pop_back();
    }
    return state != nullptr ? message + " (" + state + ")" : message;
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

Connection::Connection(const std::string& url) {
    // Keywords after the URL override it: a dead server is noticed within seconds.
    const std::array<const char*, 8> keys = {
        "dbname",           "connect_timeout",  "keepalives_idle",  "keepalives_interval",
        "keepalives_count", "application_name", "tcp_user_timeout", nullptr};
    const std::array<const char*, 8> values = {url.c_str(), "5",       "10",    "5",
                                               "3",         "botcore", "30000", nullptr};
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
    if (prepared_.contains(sql.name)) {
        return;
    }
    Result result(PQprepare(conn_, sql.name, sql.text, 0, nullptr));
    if (!succeeded(result.handle())) {
        throw ports::StoreUnavailable(std::string("preparing ") + sql.name + ": " +
                                      error_of(result.handle()));
    }
    prepared_.insert(sql.name);
}

Result Connection::run(const Sql& sql, const Params& params) {
    prepare(sql);
    const auto pointers = params.pointers();
    Result result(
        PQexecPrepared(conn_, sql.name, params.size(), pointers.data(), nullptr, nullptr, 0));
    if (!succeeded(result.handle())) {
        throw ports::StoreUnavailable(std::string(sql.name) + ": " + error_of(result.handle()));
    }
    return result;
}

bool Connection::run_unique(const Sql& sql, const Params& params) {
    prepare(sql);
    const auto pointers = params.pointers();
    Result result(
        PQexecPrepared(conn_, sql.name, params.size(), pointers.data(), nullptr, nullptr, 0));
    if (succeeded(result.handle())) {
        return true;
    }
    const char* state = PQresultErrorField(result.handle(), PG_DIAG_SQLSTATE);
    if (state != nullptr && std::strcmp(state, "23505") == 0) {
        return false;
    }
    throw ports::StoreUnavailable(std::string(sql.name) + ": " + error_of(result.handle()));
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

std::optional<Connection::BatchFailure> Connection::pipeline(
    std::span<const std::vector<Command>> items) {
    for (const auto& item : items) {
        for (const auto& command : item) {
            prepare(*command.sql);
        }
    }
    if (PQenterPipelineMode(conn_) != 1) {
        fail("entering pipeline mode");
    }
    // Who sent each query: an item's index, or kWholeBatch for BEGIN and COMMIT.
    std::vector<std::size_t> owners;
    const auto send_plain = [this, &owners](const char* sql) {
        if (PQsendQueryParams(conn_, sql, 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) {
            fail("queueing a statement");
        }
        owners.push_back(kWholeBatch);
    };
    send_plain("BEGIN");
    for (std::size_t i = 0; i < items.size(); ++i) {
        for (const auto& command : items[i]) {
            const auto pointers = command.params.pointers();
            if (PQsendQueryPrepared(conn_, command.sql->name, command.params.size(),
                                    pointers.data(), nullptr, nullptr, 0) != 1) {
                fail("queueing a statement");
            }
            owners.push_back(i);
        }
    }
    send_plain("COMMIT");
    if (PQpipelineSync(conn_) != 1) {
        fail("ending a pipeline");
    }
    flush_pipeline();

    std::optional<BatchFailure> failure;
    for (std::size_t k = 0; k < owners.size(); ++k) {
        PGresult* raw = PQgetResult(conn_);
        if (raw == nullptr) {
            fail("PostgreSQL ended a batch early");
        }
        Result result(raw);
        const auto status = PQresultStatus(raw);
        if (status == PGRES_FATAL_ERROR && !failure) {
            const std::string name =
                owners[k] == kWholeBatch ? (k == 0 ? "BEGIN" : "COMMIT") : "a batched statement";
            failure = BatchFailure{
                owners[k],
                std::make_exception_ptr(ports::StoreUnavailable(name + ": " + error_of(raw)))};
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
    if (failure->item == kWholeBatch || items.size() == 1) {
        std::fill(outcome.begin(), outcome.end(), failure->error);
        return outcome;
    }
    // Rolled back whole: run each item alone so that only the failing ones fail.
    for (std::size_t i = 0; i < items.size(); ++i) {
        const auto alone = pipeline(items.subspan(i, 1));
        outcome[i] = alone ? alone->error : nullptr;
    }
    return outcome;
}

Transaction::Transaction(Connection& connection) : connection_(connection) {
    connection_.exec("BEGIN");
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
