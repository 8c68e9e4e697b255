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

// Each test gets its own schema, so tests run in parallel on one server.
class PostgresUnderTest final : public EngineUnderTest {
  public:
    PostgresUnderTest() : admin_(postgres_url()) {
        static std::atomic<int> next{0};
        schema_ = "test_" + std::to_string(::getpid()) + "_" + std::to_string(next++);
        admin_.exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
        admin_.exec("CREATE SCHEMA " + schema_);
        const std::string base = postgres_url();
        url_ = base + (base.find('?') == std::string::npos ? "?" : "&") +
               "options=-csearch_path%3D" + schema_;
        store_ = open_again();
        store_->migrate(1000);
    }
    ~PostgresUnderTest() override {
        store_.reset();
        try {
            admin_.exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
        } catch (...) {
            // Left behind for the next run's DROP ... IF EXISTS; the server is temporary anyway.
        }
    }
    std::string url() const override { return url_; }
    std::unique_ptr<ports::StoreEngine> open_again() override {
        adapters::postgres::PgSettings settings;
        settings.url = url_;
        settings.pool = {2, 16, std::chrono::seconds(60), std::chrono::seconds(10)};
        return std::make_unique<adapters::postgres::PgStore>(std::move(settings));
    }

  private:
    adapters::postgres::Connection admin_;
    std::string schema_;
    std::string url_;
};

}  // namespace

bool postgres_available() {
    return postgres_url() != nullptr;
}

std::unique_ptr<EngineUnderTest> open_engine(const std::string& name) {
    if (name == "postgres") {
        return std::make_unique<PostgresUnderTest>();
    }
    return std::make_unique<SqliteUnderTest>();
}

bool postgres_required() {
    return services_required();
}

}  // namespace botcore::testing
