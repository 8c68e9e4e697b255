// The PostgreSQL connection pool against a real server: sessions the server ends while they sit
// idle in the pool (a restart, a failover, pg_terminate_backend) are not handed out.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "adapters/postgres/pg_connection.hpp"
#include "adapters/postgres/pg_pool.hpp"
#include "ports/store.hpp"
#include "store_engines.hpp"
#include "test_support.hpp"

namespace botcore::adapters::postgres {
namespace {

class PgPoolTest : public testing::EngineTest {
  protected:
    // The server processes behind every idle connection of the pool, in a list for SQL.
    static std::string backends(Pool& pool) {
        std::vector<Pool::Lease> leases;
        std::string pids;
        while (pool.in_use() < pool.open()) {
            leases.push_back(pool.acquire());
            pids += (pids.empty() ? "" : ",") +
                    leases.back()->exec("SELECT pg_backend_pid()").text(0, 0);
        }
        return pids;
    }
};

TEST_P(PgPoolTest, SessionsTheServerEndedWhileIdleAreReplacedBeforeUse) {
    Pool pool(engine_->url(), PoolSettings{.min = 3});
    pool.warm();
    ASSERT_EQ(pool.open(), 3);
    const auto pids = backends(pool);

    Connection admin(engine_->url());
    const auto ended = admin.exec(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE pid IN (" +
        pids + ")");
    ASSERT_EQ(ended.text(0, 0), "3");
    ASSERT_TRUE(testing::wait_for([&] {
        return admin.exec("SELECT count(*) FROM pg_stat_activity WHERE pid IN (" + pids + ")")
                   .text(0, 0) == "0";
    }));

    // Each of them would have failed its first query; all three at once come from new sessions.
    std::vector<Pool::Lease> leases;
    for (int i = 0; i < 3; ++i) {
        leases.push_back(pool.acquire());
        EXPECT_EQ(leases.back()->exec("SELECT 1").text(0, 0), "1");
    }
    EXPECT_EQ(pool.open(), 3);
    EXPECT_EQ(pool.ended(), 3u);
    leases.clear();
    EXPECT_NE(backends(pool), pids);
}

// A session lost under a command (the server or the network failed) takes the idle ones with
// it: one to a server that vanished without a word would only fail after its TCP timeout.
TEST_P(PgPoolTest, ASessionLostUnderACommandTakesTheIdleOnesWithIt) {
    Pool pool(engine_->url(), PoolSettings{.min = 3});
    pool.warm();
    {
        auto lease = pool.acquire();
        const auto pid = lease->exec("SELECT pg_backend_pid()").text(0, 0);
        Connection admin(engine_->url());
        ASSERT_EQ(admin.exec("SELECT pg_terminate_backend(" + pid + ")::text").text(0, 0), "true");
        ASSERT_TRUE(testing::wait_for([&] {
            return admin.exec("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid)
                       .text(0, 0) == "0";
        }));
        EXPECT_THROW(lease->exec("SELECT 1"), ports::StoreUnavailable);
    }
    EXPECT_EQ(pool.open(), 0);
    EXPECT_EQ(pool.acquire()->exec("SELECT 1").text(0, 0), "1");
    EXPECT_EQ(pool.open(), 1);
}

TEST_P(PgPoolTest, AnIdleSessionTheServerKeptIsHandedOutAgain) {
    Pool pool(engine_->url(), PoolSettings{.min = 1});
    pool.warm();
    const auto before = backends(pool);
    EXPECT_EQ(backends(pool), before);
    EXPECT_EQ(pool.open(), 1);
    EXPECT_EQ(pool.ended(), 0u);
}

// The pool talks to PostgreSQL itself; behind PgBouncer the sessions it holds are the pooler's.
INSTANTIATE_TEST_SUITE_P(Engines, PgPoolTest, ::testing::Values("postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace botcore::adapters::postgres
