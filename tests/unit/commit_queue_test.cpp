// The commit queue's sync stage: no caller hears of its commit before a sync that began after
// it, and a failed sync is never followed by a success.
#include "adapters/commit_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace botcore::adapters {
namespace {

using Work = std::function<void()>;
using Queue = CommitQueue<Work>;

std::vector<std::exception_ptr> run_all(std::vector<Work>& batch) {
    std::vector<std::exception_ptr> outcome;
    for (auto& work : batch) {
        try {
            work();
            outcome.emplace_back();
        } catch (...) {
            outcome.push_back(std::current_exception());
        }
    }
    return outcome;
}

// A sync that waits until the test opens it, and counts the syncs that finished.
class Gate {
  public:
    void operator()() {
        std::unique_lock lock(mutex_);
        ++waiting_;
        changed_.notify_all();
        changed_.wait(lock, [this] { return open_; });
        --waiting_;
        ++finished_;
        if (fail_) {
            throw std::runtime_error("disk gone");
        }
    }
    void open(bool fail = false) {
        std::lock_guard lock(mutex_);
        open_ = true;
        fail_ = fail;
        changed_.notify_all();
    }
    void wait_for_sync() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return waiting_ > 0; });
    }
    int finished() {
        std::lock_guard lock(mutex_);
        return finished_;
    }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool open_ = false;
    bool fail_ = false;
    int waiting_ = 0;
    int finished_ = 0;
};

std::string message(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& error) {
        return error.what();
    }
}

TEST(CommitQueueSync, CallersAreToldOnlyAfterASyncThatFollowedTheirCommit) {
    Gate gate;
    std::atomic<int> committed{0};
    std::atomic<int> told{0};
    Queue queue(run_all, 64, [&gate] { gate(); });
    std::promise<std::exception_ptr> outcome;
    queue.submit([&] { ++committed; },
                 [&](std::exception_ptr e) {
                     ++told;
                     outcome.set_value(e);
                 });
    gate.wait_for_sync();
    EXPECT_EQ(committed.load(), 1);  // the commit ran...
    EXPECT_EQ(told.load(), 0);       // ...but nobody is told while the sync is not done
    gate.open();
    EXPECT_EQ(outcome.get_future().get(), nullptr);
    EXPECT_EQ(gate.finished(), 1);
    EXPECT_FALSE(queue.sync_failed());
}

TEST(CommitQueueSync, TheCommitterGoesOnWhileASyncRuns) {
    Gate gate;
    std::atomic<int> committed{0};
    std::atomic<int> told{0};
    Queue queue(run_all, 64, [&gate] { gate(); });
    queue.submit([&] { ++committed; }, [&](std::exception_ptr) { ++told; });
    gate.wait_for_sync();
    for (int i = 0; i < 10; ++i) {
        queue.submit([&] { ++committed; }, [&](std::exception_ptr) { ++told; });
    }
    // Bounded wait: the first sync holds, the later works still commit.
    for (int i = 0; i < 500 && committed.load() < 11; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_EQ(committed.load(), 11);
    EXPECT_EQ(told.load(), 0);
    gate.open();
    queue.flush();
    EXPECT_EQ(told.load(), 11);
    // The works that committed during the first sync shared the next one.
    EXPECT_LE(queue.syncs(), 2u);
}

TEST(CommitQueueSync, AFailedSyncFailsItsCallersAndEveryLaterOne) {
    Gate gate;
    Queue queue(run_all, 64, [&gate] { gate(); });
    std::vector<std::exception_ptr> outcomes(3);
    std::atomic<int> committed{0};
    queue.submit([&] { ++committed; }, [&](std::exception_ptr e) { outcomes[0] = e; });
    gate.wait_for_sync();
    gate.open(true);
    queue.flush();
    EXPECT_TRUE(queue.sync_failed());
    queue.submit([&] { ++committed; }, [&](std::exception_ptr e) { outcomes[1] = e; });
    queue.submit([] { throw std::invalid_argument("own failure"); },
                 [&](std::exception_ptr e) { outcomes[2] = e; });
    queue.flush();
    for (const auto& outcome : outcomes) {
        ASSERT_NE(outcome, nullptr);  // never reported durable after a failed sync
        EXPECT_EQ(message(outcome), "disk gone");
    }
    EXPECT_EQ(committed.load(), 1);  // nothing is committed after it either
    EXPECT_EQ(gate.finished(), 1);   // and no sync is tried again
    EXPECT_EQ(queue.syncs(), 0u);    // the failed one did not count
}

TEST(CommitQueueSync, AWorksOwnFailureIsItsAnswer) {
    Queue queue(run_all, 64, [] {});
    std::exception_ptr outcome;
    queue.submit([] { throw std::invalid_argument("own failure"); },
                 [&](std::exception_ptr e) { outcome = e; });
    queue.flush();
    ASSERT_NE(outcome, nullptr);
    EXPECT_EQ(message(outcome), "own failure");
}

TEST(CommitQueueSync, WorkSubmittedByACallbackWhileStoppingIsCommittedToo) {
    std::atomic<int> committed{0};
    std::atomic<int> told{0};
    {
        Queue queue(run_all, 64, [] { std::this_thread::sleep_for(std::chrono::milliseconds(5)); });
        queue.submit([&] { ++committed; },
                     [&](std::exception_ptr) {
                         ++told;
                         // As the trading engine does: the next command of the user, from the
                         // callback.
                         queue.submit([&] { ++committed; },
                                      [&](std::exception_ptr e) {
                                          if (!e) {
                                              ++told;
                                          }
                                      });
                     });
    }  // destroyed while the first sync is still running
    EXPECT_EQ(committed.load(), 2);
    EXPECT_EQ(told.load(), 2);
}

TEST(CommitQueueSync, DestructionCommitsAndSyncsWhatWasQueued) {
    std::atomic<int> syncs{0};
    std::atomic<int> told{0};
    {
        Queue queue(run_all, 8, [&syncs] { ++syncs; });
        for (int i = 0; i < 100; ++i) {
            queue.submit([] {},
                         [&](std::exception_ptr e) {
                             if (!e) {
                                 ++told;
                             }
                         });
        }
    }
    EXPECT_EQ(told.load(), 100);
    EXPECT_GE(syncs.load(), 1);
}

TEST(CommitQueueSync, WithoutASyncCallersAreToldAfterTheCommit) {
    std::atomic<int> told{0};
    Queue queue(run_all, 8);
    for (int i = 0; i < 20; ++i) {
        queue.submit([] {},
                     [&](std::exception_ptr e) {
                         if (!e) {
                             ++told;
                         }
                     });
    }
    queue.flush();
    EXPECT_EQ(told.load(), 20);
    EXPECT_EQ(queue.syncs(), 0u);
}

}  // namespace
}  // namespace botcore::adapters
