#include "adapters/sqlite/group_commit.hpp"

#include <cstdio>
#include <cstdlib>

namespace botcore::adapters::sqlite {

GroupCommitter::GroupCommitter(Connection& connection, std::mutex& connection_mutex, Sync sync,
                               std::size_t max_batch)
    : connection_(connection),
      connection_mutex_(connection_mutex),
      deferred_sync_(static_cast<bool>(sync)),
      queue_([this](std::vector<Work>& batch) { return commit_batch(batch); }, max_batch,
             std::move(sync)) {}

std::vector<std::exception_ptr> GroupCommitter::commit_batch(std::vector<Work>& batch) {
    std::lock_guard lock(connection_mutex_);
    // Only for this transaction: the connection's other writers keep flushing on COMMIT.
    struct Synchronous {
        Connection& c;
        bool deferred;
        explicit Synchronous(Connection& connection, bool defer) : c(connection), deferred(defer) {
            if (deferred) {
                c.prepare("PRAGMA synchronous = NORMAL").step();
            }
        }
        ~Synchronous() {
            // Fails only inside a transaction the rollback could not end; the connection's
            // other writers would then report writes durable that were not flushed.
            if (deferred && sqlite3_exec(c.handle(), "PRAGMA synchronous = FULL", nullptr, nullptr,
                                         nullptr) != SQLITE_OK) {
                std::fprintf(stderr, "botcore: cannot restore synchronous = FULL: %s\n",
                             sqlite3_errmsg(c.handle()));
                std::abort();
            }
        }
    } synchronous(connection_, deferred_sync_);
    // Almost every batch succeeds whole, so it runs without savepoints first: a savepoint
    // copies every page its work changes and makes the commit walk SQLite's page cache (measured
    // in docs/BENCHMARKS.md). If a work fails, the batch is rolled back and runs again with one
    // savepoint per work, so that work alone rolls back. Works only write through the
    // connection, so running one again after a rollback is safe.
    {
        Transaction tx(connection_);
        bool failed = false;
        for (auto& work : batch) {
            try {
                work(connection_);
            } catch (...) {
                failed = true;
                break;
            }
        }
        if (!failed) {
            tx.commit();
            return std::vector<std::exception_ptr>(batch.size());
        }
    }
    std::vector<std::exception_ptr> outcome(batch.size());
    Transaction tx(connection_);
    for (std::size_t i = 0; i < batch.size(); ++i) {
        // Prepared once: exec() would parse these two statements for every item.
        connection_.prepare("SAVEPOINT item").step();
        try {
            batch[i](connection_);
            connection_.prepare("RELEASE item").step();
        } catch (...) {
            outcome[i] = std::current_exception();
            connection_.exec("ROLLBACK TO item");
            connection_.exec("RELEASE item");
        }
    }
    tx.commit();
    return outcome;
}

}  // namespace botcore::adapters::sqlite
