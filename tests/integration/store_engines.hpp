// The storage engines the conformance suite runs on, each opened empty for one test: SQLite in a
// temporary directory, PostgreSQL in a schema of its own on the server named by
// BOTCORE_TEST_PG_URL, and PostgreSQL through the PgBouncer named by BOTCORE_TEST_PGBOUNCER_URL
// in a database of its own (ctest starts both; see tests/CMakeLists.txt).
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ports/store_engine.hpp"

namespace botcore::testing {

// Stores bot in place of the user's settings through change_bot; whether it is durable.
inline bool put_bot(ports::BotStore& store, const ports::StoredBot& bot) {
    std::promise<std::exception_ptr> done;
    store.change_bot(
        bot.user_id, [bot](const std::optional<ports::StoredBot>&) { return std::optional(bot); },
        [&done](std::exception_ptr error) { done.set_value(error); });
    return done.get_future().get() == nullptr;
}

class EngineUnderTest {
  public:
    virtual ~EngineUnderTest() = default;
    ports::StoreEngine& store() { return *store_; }
    // A second store on the same data (another process, or another instance of a cluster).
    virtual std::unique_ptr<ports::StoreEngine> open_again() = 0;
    // How a session of its own reaches the data, not through a pooler ("" for an embedded
    // store).
    virtual std::string url() const { return {}; }

  protected:
    std::unique_ptr<ports::StoreEngine> store_;
};

inline const std::vector<std::string> kEngineNames{"sqlite", "postgres"};
// Also PostgreSQL behind PgBouncer in transaction mode (unprepared statements, a server
// connection per transaction), for the suites that cover every store path.
inline const std::vector<std::string> kEngineNamesWithPooler{"sqlite", "postgres", "pgbouncer"};

// Migrated and empty. "postgres" and "pgbouncer" need engine_available().
std::unique_ptr<EngineUnderTest> open_engine(const std::string& name);
// Whether the engine's server is named (BOTCORE_TEST_PG_URL, BOTCORE_TEST_PGBOUNCER_URL).
bool engine_available(const std::string& name);
// Whether this run must cover the servers (ctest's services run): then a test on an engine
// whose server is not named fails instead of being skipped.
bool servers_required();

// A test that runs on every engine (TEST_P ... INSTANTIATE_TEST_SUITE_P(Engines, Fixture,
// ValuesIn(kEngineNames))). Without its server an engine's runs are skipped, or fail when the
// run requires it; a placeholder SQLite engine keeps the fixture constructible.
class EngineTest : public ::testing::TestWithParam<std::string> {
  protected:
    EngineTest() : engine_(open_engine(engine_available(GetParam()) ? GetParam() : "sqlite")) {}
    void SetUp() override {
        if (!engine_available(GetParam())) {
            if (servers_required()) {
                FAIL() << "the run requires " << GetParam() << " but no server is named";
            }
            GTEST_SKIP() << "no " << GetParam() << " server is named: ctest starts one";
        }
    }

    std::unique_ptr<EngineUnderTest> engine_;
};

}  // namespace botcore::testing
