// Group commit: many callers' writes share one transaction and one fsync. Each caller's work
// runs inside its own savepoint, so one failing piece of work rolls back alone; every caller
// is told the outcome only after the shared COMMIT returned.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "adapters/sqlite/sqlite_db.hpp"

namespace botcore::adapters::sqlite {

class GroupCommitter {
  public:
    using Work = std::function<void(Connection&)>;
    // nullptr when committed, else why it was not.
    using Done = std::function<void(std::exception_ptr)>;

    // connection and its mutex are shared with writers outside the group (held while a batch
    // runs).
    GroupCommitter(Connection& connection, std::mutex& connection_mutex,
                   std::size_t max_batch = 512);
    ~GroupCommitter();  // commits what is queued, then stops
    GroupCommitter(const GroupCommitter&) = delete;
    GroupCommitter& operator=(const GroupCommitter&) = delete;

    void submit(Work work, Done done);
    // Blocks until everything submitted so far has been committed and its callers told.
    void flush();

    std::uint64_t batches() const;
    std::uint64_t items() const;

  private:
    struct Item {
        Work work;
        Done done;
    };
    void run();
    void commit_batch(std::deque<Item>& batch);

    Connection& connection_;
    std::mutex& connection_mutex_;
    const std::size_t max_batch_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    std::deque<Item> queue_;
    bool busy_ = false;
    bool stopping_ = false;
    std::uint64_t batches_ = 0;
    std::uint64_t items_ = 0;
    std::thread thread_;  // last: starts after everything above exists
};

}  // namespace botcore::adapters::sqlite
