// The queue behind group commit, shared by the store adapters: callers submit work from any
// thread; one committer thread takes whatever queued while the previous batch was committing
// and commits it as one batch; each caller is told its outcome after that batch's commit.
//
// With a sync stage, a commit only has to make the batch visible; a second thread then makes
// every batch committed so far durable with one sync and only after that tells their callers.
// The committer goes on with the next batch meanwhile, so the disk flush of one batch overlaps
// the writes of the next.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <iterator>
#include <mutex>
#include <thread>
#include <vector>

namespace botcore::adapters {

template <class Work>
class CommitQueue {
  public:
    // nullptr when committed, else why it was not.
    using Done = std::function<void(std::exception_ptr)>;
    // Commits a batch; returns each work's outcome, in order. Throwing fails the whole batch.
    using Commit = std::function<std::vector<std::exception_ptr>(std::vector<Work>& batch)>;
    // Makes everything committed before the call durable; throws if it cannot. After a failure
    // nothing is committed or reported durable again (what the failed sync held may be lost
    // for good): every later caller gets that failure.
    using Sync = std::function<void()>;

    CommitQueue(Commit commit, std::size_t max_batch, Sync sync = {})
        : commit_(std::move(commit)),
          sync_(std::move(sync)),
          max_batch_(max_batch),
          syncer_(sync_ ? std::thread([this] { sync_committed(); }) : std::thread()),
          thread_([this] { run(); }) {}
    // Commits (and syncs) what is queued, then stops.
    ~CommitQueue() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        thread_.join();
        if (syncer_.joinable()) {
            {
                std::lock_guard lock(mutex_);
                committer_stopped_ = true;
            }
            synced_wake_.notify_all();
            syncer_.join();
        }
    }
    CommitQueue(const CommitQueue&) = delete;
    CommitQueue& operator=(const CommitQueue&) = delete;

    void submit(Work work, Done done) {
        {
            std::lock_guard lock(mutex_);
            queue_.push_back(Item{std::move(work), std::move(done)});
        }
        wake_.notify_one();
    }

    // Blocks until everything submitted so far has been committed and its callers told.
    void flush() {
        std::unique_lock lock(mutex_);
        idle_.wait(lock,
                   [this] { return queue_.empty() && !busy_ && unsynced_.empty() && !syncing_; });
    }

    // Batches committed so far, and the works they carried.
    std::uint64_t batches() const {
        std::lock_guard lock(mutex_);
        return batches_;
    }
    std::uint64_t items() const {
        std::lock_guard lock(mutex_);
        return items_;
    }
    // Syncs the sync stage completed (each covers every batch committed before it).
    std::uint64_t syncs() const {
        std::lock_guard lock(mutex_);
        return syncs_;
    }
    // A sync failed: nothing committed since is durable (see Sync). Lock-free: stores ask on
    // every read.
    bool sync_failed() const { return sync_failed_.load(std::memory_order_acquire); }

  private:
    struct Item {
        Work work;
        Done done;
    };
    // A committed batch waiting for the sync stage.
    struct Committed {
        std::vector<Done> dones;
        std::vector<std::exception_ptr> outcomes;
    };

    void run() {
        std::vector<Item> taken;
        std::vector<Work> batch;
        for (;;) {
            {
                std::unique_lock lock(mutex_);
                busy_ = false;
                idle_.notify_all();
                // When stopping, the sync stage may still tell callers, and a caller may submit
                // more work from its callback: stop only once that cannot happen any more.
                wake_.wait(lock, [this] {
                    return !queue_.empty() || (stopping_ && unsynced_.empty() && !syncing_);
                });
                if (queue_.empty()) {
                    return;  // stopping, nothing left
                }
                const auto take = static_cast<std::ptrdiff_t>(std::min(queue_.size(), max_batch_));
                std::move(queue_.begin(), queue_.begin() + take, std::back_inserter(taken));
                queue_.erase(queue_.begin(), queue_.begin() + take);
                busy_ = true;
                ++batches_;
                items_ += static_cast<std::uint64_t>(take);
            }
            for (auto& item : taken) {
                batch.push_back(std::move(item.work));
            }
            std::vector<std::exception_ptr> outcome;
            // After a failed sync nothing more is committed: a commit could not be made
            // durable, and its rows would be read as if it were.
            std::exception_ptr failed = sync_error();
            if (!failed) {
                try {
                    outcome = commit_(batch);
                } catch (...) {
                    failed = std::current_exception();
                }
            }
            Committed committed;
            for (std::size_t i = 0; i < taken.size(); ++i) {
                committed.dones.push_back(std::move(taken[i].done));
                committed.outcomes.push_back(failed ? failed : outcome.at(i));
            }
            taken.clear();
            batch.clear();
            if (sync_) {
                {
                    std::lock_guard lock(mutex_);
                    unsynced_.push_back(std::move(committed));
                }
                synced_wake_.notify_one();
            } else {
                tell(committed, nullptr);
            }
        }
    }

    std::exception_ptr sync_error() const {
        std::lock_guard lock(mutex_);
        return sync_error_;
    }

    void sync_committed() {
        std::exception_ptr sync_failed;  // latched: see Sync
        for (;;) {
            std::vector<Committed> taken;
            {
                std::unique_lock lock(mutex_);
                syncing_ = false;
                idle_.notify_all();
                wake_.notify_all();  // a stopping committer waits for this round to end
                synced_wake_.wait(lock,
                                  [this] { return !unsynced_.empty() || committer_stopped_; });
                if (unsynced_.empty()) {
                    return;
                }
                taken.swap(unsynced_);
                syncing_ = true;
            }
            if (!sync_failed) {
                try {
                    sync_();
                    std::lock_guard lock(mutex_);
                    ++syncs_;
                } catch (...) {
                    sync_failed = std::current_exception();
                    std::lock_guard lock(mutex_);
                    sync_error_ = sync_failed;
                    sync_failed_.store(true, std::memory_order_release);
                }
            }
            for (auto& committed : taken) {
                tell(committed, sync_failed);
            }
        }
    }

    // A work's own failure is its answer; otherwise a failed sync.
    static void tell(Committed& committed, const std::exception_ptr& sync_failed) {
        for (std::size_t i = 0; i < committed.dones.size(); ++i) {
            committed.dones[i](committed.outcomes[i] ? committed.outcomes[i] : sync_failed);
        }
    }

    Commit commit_;
    Sync sync_;
    const std::size_t max_batch_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable synced_wake_;
    std::condition_variable idle_;
    std::vector<Item> queue_;
    std::vector<Committed> unsynced_;
    bool busy_ = false;
    bool syncing_ = false;
    bool stopping_ = false;
    bool committer_stopped_ = false;
    std::exception_ptr sync_error_;
    std::atomic<bool> sync_failed_{false};
    std::uint64_t batches_ = 0;
    std::uint64_t items_ = 0;
    std::uint64_t syncs_ = 0;
    std::thread syncer_;
    std::thread thread_;  // last: starts after everything above exists
};

}  // namespace botcore::adapters
