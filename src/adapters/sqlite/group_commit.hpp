// Group commit on SQLite: many callers' writes share one transaction and one fsync. When one
// caller's work fails, the batch runs again with each work in its own savepoint, so the failing
// one rolls back alone. Every caller is told the outcome only after the shared COMMIT returned
// or, with a sync (WalSync), after a sync that began once the COMMIT had returned.
#pragma once

#include <mutex>

#include "adapters/commit_queue.hpp"
#include "adapters/sqlite/sqlite_db.hpp"

namespace botcore::adapters::sqlite {

class GroupCommitter {
  public:
    using Work = std::function<void(Connection&)>;
    using Done = CommitQueue<Work>::Done;
    using Sync = CommitQueue<Work>::Sync;

    // connection and its mutex are shared with writers outside the group (held while a batch
    // runs). Without a sync each COMMIT flushes the WAL itself (synchronous = FULL); with one,
    // batches commit with synchronous = NORMAL and the sync makes them durable.
    GroupCommitter(Connection& connection, std::mutex& connection_mutex, Sync sync = {},
                   std::size_t max_batch = 512);

    void submit(Work work, Done done) { queue_.submit(std::move(work), std::move(done)); }
    // Blocks until everything submitted so far has been committed and its callers told.
    void flush() { queue_.flush(); }

    std::uint64_t batches() const { return queue_.batches(); }
    std::uint64_t items() const { return queue_.items(); }
    std::uint64_t syncs() const { return queue_.syncs(); }
    bool sync_failed() const { return queue_.sync_failed(); }

  private:
    std::vector<std::exception_ptr> commit_batch(std::vector<Work>& batch);

    Connection& connection_;
    std::mutex& connection_mutex_;
    const bool deferred_sync_;
    CommitQueue<Work> queue_;  // last: its thread stops first
};

}  // namespace botcore::adapters::sqlite
