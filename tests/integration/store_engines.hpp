// The storage engines the conformance suite runs on, each opened empty for one test: SQLite in a
// temporary directory, PostgreSQL in a schema of its own on the server named by
// BOTCORE_TEST_PG_URL (ctest starts one; see tests/CMakeLists.txt).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "ports/store_engine.hpp"

namespace botcore::testing {

class EngineUnderTest {
  public:
    virtual ~EngineUnderTest() = default;
    ports::StoreEngine& store() { return *store_; }
    // A second store on the same data (another process, or another instance of a cluster).
    virtual std::unique_ptr<ports::StoreEngine> open_again() = 0;
    // How a client reaches the data ("" for an embedded store).
    virtual std::string url() const { return {}; }

  protected:
    std::unique_ptr<ports::StoreEngine> store_;
};

inline const std::vector<std::string> kEngineNames{"sqlite", "postgres"};

// Migrated and empty. "postgres" needs postgres_available().
std::unique_ptr<EngineUnderTest> open_engine(const std::string& name);
// Whether BOTCORE_TEST_PG_URL names a server.
bool postgres_available();
// Whether this run must cover PostgreSQL (ctest's services run): then a test on "postgres"
// fails instead of being skipped when no server is named.
bool postgres_required();

// A test that runs on every engine (TEST_P ... INSTANTIATE_TEST_SUITE_P(Engines, Fixture,
// ValuesIn(kEngineNames))). Without a PostgreSQL server the "postgres" runs are skipped, or fail
// when the run requires it; a placeholder SQLite engine keeps the fixture constructible.
class EngineTest : public ::testing::TestWithParam<std::string> {
  protected:
    EngineTest()
        : engine_(open_engine(GetParam() == "postgres" && !postgres_available() ? "sqlite"
                                                                                : GetParam())) {}
    void SetUp() override {
        if (GetParam() == "postgres" && !postgres_available()) {
            if (postgres_required()) {
                FAIL() << "the run requires PostgreSQL but no server is named";
            }
            GTEST_SKIP() << "BOTCORE_TEST_PG_URL is not set: ctest starts a server";
        }
    }

    std::unique_ptr<EngineUnderTest> engine_;
};

}  // namespace botcore::testing
