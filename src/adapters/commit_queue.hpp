// The queue behind group commit, shared by the store adapters: callers submit work from any
// thread; one committer thread takes whatever queued while the previous batch was committing
// and commits it as one batch; each caller is told its outcome after that batch's commit.
#pragma once

#include <algorithm>
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

    CommitQueue(Commit commit, std::size_t max_batch)
        : commit_(std::move(commit)), max_batch_(max_batch), thread_([this] { run(); }) {}
    // Commits what is queued, then stops.
    ~CommitQueue() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        thread_.join();
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
        idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
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

  private:
    struct Item {
        Work work;
        Done done;
    };

    void run() {
        std::vector<Item> taken;
        std::vector<Work> batch;
        for (;;) {
            {
                std::unique_lock lock(mutex_);
                busy_ = false;
                idle_.notify_all();
                wake_.wait(lock, [this] { return !queue_.empty() || stopping_; });
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
            std::exception_ptr failed;
            try {
                outcome = commit_(batch);
            } catch (...) {
                failed = std::current_exception();
            }
            for (std::size_t i = 0; i < taken.size(); ++i) {
                taken[i].done(failed ? failed : outcome.at(i));
            }
            taken.clear();
            batch.clear();
        }
    }

    Commit commit_;
    const std::size_t max_batch_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    std::vector<Item> queue_;
    bool busy_ = false;
    bool stopping_ = false;
    std::uint64_t batches_ = 0;
    std::uint64_t items_ = 0;
    std::thread thread_;  // last: starts after everything above exists
};

}  // namespace botcore::adapters
