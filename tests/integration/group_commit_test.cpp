// Group commit on a real SQLite file.
#include "adapters/sqlite/group_commit.hpp"
#include "adapters/sqlite/sqlite_store.hpp"
#include "adapters/sqlite/wal_sync.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <stdexcept>
#include <thread>

#include "test_support.hpp"

namespace botcore::adapters::sqlite {
namespace {

class GroupCommitTest : public ::testing::Test {
  protected:
    GroupCommitTest() : connection(dir.path() + "/gc.db", false) {
        connection.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, value TEXT NOT NULL)");
    }

    std::int64_t count() {
        auto stmt = connection.prepare("SELECT COUNT(*) FROM items");
        stmt.step();
        return stmt.integer(0);
    }

    testing::TempDir dir;
    Connection connection;
    std::mutex connection_mutex;
};

GroupCommitter::Work insert(std::int64_t id) {
    return [id](Connection& c) {
        c.prepare("INSERT INTO items (id, value) VALUES (?, 'x')").bind_all(id).step();
    };
}

// Inserts, then fails: its insert must not stay.
GroupCommitter::Work insert_then_fail(std::int64_t id) {
    return [id](Connection& c) {
        c.prepare("INSERT INTO items (id, value) VALUES (?, 'x')").bind_all(id).step();
        throw std::runtime_error("rule broken half-way");
    };
}

TEST_F(GroupCommitTest, EveryCallerIsToldAfterItsWriteCommitted) {
    std::atomic<int> committed{0};
    {
        GroupCommitter committer(connection, connection_mutex);
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < 100; ++i) {
                    std::promise<std::exception_ptr> outcome;
                    committer.submit(insert(t * 1000 + i),
                                     [&outcome](std::exception_ptr e) { outcome.set_value(e); });
                    EXPECT_EQ(outcome.get_future().get(), nullptr);
                    ++committed;
                }
            });
        }
        for (auto& thread : threads) {
            thread.join();
        }
    }
    EXPECT_EQ(committed.load(), 800);
    EXPECT_EQ(count(), 800);
}

TEST_F(GroupCommitTest, ConcurrentWritesShareTransactions) {
    GroupCommitter committer(connection, connection_mutex);
    std::atomic<int> done{0};
    for (int i = 0; i < 2000; ++i) {
        committer.submit(insert(i), [&done](std::exception_ptr) { ++done; });
    }
    committer.flush();
    EXPECT_EQ(done.load(), 2000);
    EXPECT_EQ(committer.items(), 2000u);
    EXPECT_LT(committer.batches(), 2000u);  // queued work was batched
    EXPECT_EQ(count(), 2000);
}

TEST_F(GroupCommitTest, AFailingWriteRollsBackAloneAndIsReported) {
    GroupCommitter committer(connection, connection_mutex);
    std::vector<std::exception_ptr> outcomes(3);
    committer.submit(insert(1), [&](std::exception_ptr e) { outcomes[0] = e; });
    committer.submit(insert_then_fail(2), [&](std::exception_ptr e) { outcomes[1] = e; });
    committer.submit(insert(3), [&](std::exception_ptr e) { outcomes[2] = e; });
    committer.flush();
    EXPECT_EQ(outcomes[0], nullptr);
    EXPECT_NE(outcomes[1], nullptr);
    EXPECT_EQ(outcomes[2], nullptr);
    EXPECT_EQ(count(), 2);  // ids 1 and 3; the half-done insert of 2 was rolled back
}

TEST_F(GroupCommitTest, AFailureInABatchRunsTheOthersAgainAndKeepsThemOnce) {
    GroupCommitter committer(connection, connection_mutex);
    std::vector<std::exception_ptr> outcomes(4);
    std::atomic<int> runs_before_failure{0};
    {
        // Held: the first batch waits for the connection while the next works queue behind it
        // and are taken as one batch.
        std::lock_guard hold(connection_mutex);
        committer.submit(insert(1), [&](std::exception_ptr e) { outcomes[0] = e; });
        for (int i = 0; i < 1000 && committer.batches() == 0; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        ASSERT_EQ(committer.batches(), 1u);  // taken, waiting for the connection
        committer.submit(
            [&runs_before_failure](Connection& c) {
                ++runs_before_failure;
                c.prepare("INSERT INTO items (id, value) VALUES (2, 'x')").step();
            },
            [&](std::exception_ptr e) { outcomes[1] = e; });
        committer.submit(insert_then_fail(3), [&](std::exception_ptr e) { outcomes[2] = e; });
        committer.submit(insert(4), [&](std::exception_ptr e) { outcomes[3] = e; });
    }
    committer.flush();
    EXPECT_EQ(outcomes[0], nullptr);
    EXPECT_EQ(outcomes[1], nullptr);
    EXPECT_NE(outcomes[2], nullptr);
    EXPECT_EQ(outcomes[3], nullptr);
    EXPECT_EQ(runs_before_failure.load(), 2);  // once without savepoints, once with
    auto ids =
        connection.prepare("SELECT group_concat(id) FROM (SELECT id FROM items ORDER BY id)");
    ids.step();
    EXPECT_EQ(ids.text(0), "1,2,4");  // each once; the half-done 3 rolled back
}

TEST_F(GroupCommitTest, DestructionCommitsWhatWasQueued) {
    std::atomic<int> done{0};
    {
        GroupCommitter committer(connection, connection_mutex);
        for (int i = 0; i < 100; ++i) {
            committer.submit(insert(i), [&done](std::exception_ptr e) {
                if (!e) {
                    ++done;
                }
            });
        }
    }
    EXPECT_EQ(done.load(), 100);
    EXPECT_EQ(count(), 100);
}

std::int64_t synchronous(Connection& c) {
    auto stmt = c.prepare("PRAGMA synchronous");
    stmt.step();
    return stmt.integer(0);
}

TEST_F(GroupCommitTest, WithAWalSyncCallersAreToldAfterTheWalIsFlushed) {
    WalSync sync(dir.path() + "/gc.db");
    std::atomic<int> syncs{0};
    std::atomic<int> told{0};
    std::atomic<int> told_before_a_sync{0};
    std::atomic<int> batch_synchronous{-1};
    {
        GroupCommitter committer(connection, connection_mutex, [&] {
            sync();
            ++syncs;
        });
        committer.submit([&](Connection& c) { batch_synchronous = synchronous(c); },
                         [](std::exception_ptr) {});
        for (int i = 0; i < 500; ++i) {
            committer.submit(insert(i), [&](std::exception_ptr e) {
                if (syncs.load() == 0) {
                    ++told_before_a_sync;
                }
                if (!e) {
                    ++told;
                }
            });
        }
        committer.flush();
        EXPECT_EQ(told.load(), 500);
        EXPECT_EQ(told_before_a_sync.load(), 0);
        EXPECT_EQ(batch_synchronous.load(), 1);  // NORMAL: the COMMIT itself does not flush
        EXPECT_GE(committer.syncs(), 1u);
        EXPECT_LE(committer.syncs(), committer.batches());
        EXPECT_EQ(static_cast<std::uint64_t>(syncs.load()), committer.syncs());
    }
    EXPECT_EQ(count(), 500);
    // Deferring the flush is for the batch alone: other writes on the connection flush on COMMIT.
    EXPECT_EQ(synchronous(connection), 2);  // FULL
}

TEST_F(GroupCommitTest, AWalThatCannotBeOpenedFailsTheSyncAsUnavailable) {
    WalSync sync(dir.path() + "/missing/gc.db");
    EXPECT_THROW(sync(), ports::StoreUnavailable);
}

market::Candle candle(std::int64_t open_ms) {
    const auto one = domain::Decimal::from_units(100000000);
    return market::Candle{open_ms, one, one, one, one, one, true};
}

TEST(SqliteStoreWalSync, AfterAFailedWalFlushTheStoreIsUnavailableUntilARestart) {
    testing::TempDir dir;
    {
        SqliteStore store(dir.path(), 2);
        store.migrate(1000);
        store.save_candle("BTCUSDT", market::Interval::k1m, candle(60000), {},
                          ports::MarketStore::CandleSave::kReplace);
        store.flush();
        ASSERT_TRUE(store.ping());
        ASSERT_EQ(store.candles("BTCUSDT", market::Interval::k1m, std::nullopt, 10).size(), 1u);

        // The WAL disappears under the store: its next flush cannot reach the file SQLite
        // writes (as when the disk fails), so nothing committed from now on is durable.
        std::filesystem::remove(SqliteStore::database_path(dir.path()) + "-wal");
        store.save_candle("BTCUSDT", market::Interval::k1m, candle(120000), {},
                          ports::MarketStore::CandleSave::kReplace);
        store.flush();
        EXPECT_FALSE(store.ping());  // /health answers 503
        EXPECT_THROW(store.candles("BTCUSDT", market::Interval::k1m, std::nullopt, 10),
                     ports::StoreUnavailable);
    }
    SqliteStore again(dir.path(), 2);
    EXPECT_TRUE(again.ping());
}

}  // namespace
}  // namespace botcore::adapters::sqlite
