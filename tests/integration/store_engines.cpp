#include "store_engines.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "adapters/postgres/pg_connection.hpp"
#include "adapters/postgres/pg_store.hpp"
#include "adapters/sqlite/sqlite_store.hpp"
#include "test_support.hpp"

namespace botcore::testing {

namespace {

class SqliteUnderTest final : public EngineUnderTest {
  public:
    SqliteUnderTest() {
        store_ = open_again();
        store_->migrate(1000);
    }
    ~SqliteUnderTest() override { store_.reset(); }
    std::unique_ptr<ports::StoreEngine> open_again() override {
        return std::make_unique<adapters::sqlite::SqliteStore>(dir_.path(), 4);
    }

  private:
    TempDir dir_;  // first: outlives the store
};

// Each test gets a schema of its own, so tests run in parallel on one server. Through PgBouncer
// (pooled) a session setting such as search_path would not follow the transactions from one
// server connection to the next, so there each test gets a database of its own.
class PostgresUnderTest final : public EngineUnderTest {
  public:
    explicit PostgresUnderTest(bool pooled) : admin_(postgres_url()), pooled_(pooled) {
        static std::atomic<int> next{0};
        name_ = "test_" + std::to_string(::getpid()) + "_" + std::to_string(next++);
        drop();
        admin_.exec((pooled_ ? "CREATE DATABASE " : "CREATE SCHEMA ") + name_);
        if (pooled_) {
            url_ = with_database(postgres_url(), name_);
            pooler_url_ = with_database(pgbouncer_url(), name_);
        } else {
            const std::string base = postgres_url();
            url_ = base + (base.find('?') == std::string::npos ? "?" : "&") +
                   "options=-csearch_path%3D" + name_;
        }
        store_ = open_again();
        store_->migrate(1000);
    }
    ~PostgresUnderTest() override {
        store_.reset();
        try {
            drop();
        } catch (...) {
            // Left behind for the next run's DROP ... IF EXISTS; the server is temporary anyway.
        }
    }
    // Sessions of their own (LISTEN, advisory locks) connect directly, pooled or not.
    std::string url() const override { return url_; }
    std::unique_ptr<ports::StoreEngine> open_again() override {
        adapters::postgres::PgSettings settings;
        settings.url = url_;
        settings.pooler_url = pooler_url_;
        settings.pool = {2, 16, std::chrono::seconds(60), std::chrono::seconds(10)};
        return std::make_unique<adapters::postgres::PgStore>(std::move(settings));
    }

  private:
    void drop() {
        admin_.exec(pooled_ ? "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)"
                            : "DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
    }
    // The URL with its database (the path after host:port) replaced.
    static std::string with_database(const std::string& url, const std::string& database) {
        const auto slash = url.find('/', url.find("://") + 3);
        const auto query = url.find('?');
        return url.substr(0, slash) + "/" + database +
               (query == std::string::npos ? "" : url.substr(query));
    }

    adapters::postgres::Connection admin_;
    const bool pooled_;
    std::string name_;        // the test's schema, or database when pooled
    std::string url_;         // straight to the server
    std::string pooler_url_;  // through PgBouncer when pooled, else empty
};

}  // namespace

bool engine_available(const std::string& name) {
    if (name == "postgres") {
        return postgres_url() != nullptr;
    }
    if (name == "pgbouncer") {
        return postgres_url() != nullptr && pgbouncer_url() != nullptr;
    }
    return true;
}

std::unique_ptr<EngineUnderTest> open_engine(const std::string& name) {
    if (name == "postgres" || name == "pgbouncer") {
        return std::make_unique<PostgresUnderTest>(name == "pgbouncer");
    }
    return std::make_unique<SqliteUnderTest>();
}

bool servers_required() {
    return services_required();
}

}  // namespace botcore::testing
