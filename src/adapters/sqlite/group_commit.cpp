#include "adapters/sqlite/group_commit.hpp"

namespace botcore::adapters::sqlite {

GroupCommitter::GroupCommitter(Connection& connection, std::mutex& connection_mutex,
                               std::size_t max_batch)
    : connection_(connection),
      connection_mutex_(connection_mutex),
      max_batch_(max_batch),
      thread_([this] { run(); }) {}

GroupCommitter::~GroupCommitter() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void GroupCommitter::submit(Work work, Done done) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(Item{std::move(work), std::move(done)});
    }
    wake_.notify_one();
}

void GroupCommitter::flush() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

std::uint64_t GroupCommitter::batches() const {
    std::lock_guard lock(mutex_);
    return batches_;
}

std::uint64_t GroupCommitter::items() const {
    std::lock_guard lock(mutex_);
    return items_;
}

void GroupCommitter::run() {
    std::deque<Item> batch;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            busy_ = false;
            idle_.notify_all();
            wake_.wait(lock, [this] { return !queue_.empty() || stopping_; });
            if (queue_.empty()) {
                return;  // stopping, nothing left
            }
            // Whatever queued while the previous batch was committing goes in this one.
            const auto take = std::min(queue_.size(), max_batch_);
            std::move(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take),
                      std::back_inserter(batch));
            queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take));
            busy_ = true;
            ++batches_;
            items_ += take;
        }
        commit_batch(batch);
        batch.clear();
    }
}

void GroupCommitter::commit_batch(std::deque<Item>& batch) {
    std::vector<std::exception_ptr> outcome(batch.size());
    std::exception_ptr commit_error;
    {
        std::lock_guard lock(connection_mutex_);
        try {
            Transaction tx(connection_);
            for (std::size_t i = 0; i < batch.size(); ++i) {
                // Prepared once: exec() would parse these two statements for every item.
                connection_.prepare("SAVEPOINT item").step();
                try {
                    batch[i].work(connection_);
                    connection_.prepare("RELEASE item").step();
                } catch (...) {
                    outcome[i] = std::current_exception();
                    connection_.exec("ROLLBACK TO item");
                    connection_.exec("RELEASE item");
                }
            }
            tx.commit();
        } catch (...) {
            commit_error = std::current_exception();
        }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
        batch[i].done(commit_error ? commit_error : outcome[i]);
    }
}

}  // namespace botcore::adapters::sqlite
