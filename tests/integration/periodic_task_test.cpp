// PeriodicTask on its own thread: a failing run is reported and the job goes on; runs missed
// while one was slow are skipped.
#include "ops/periodic_task.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace botcore {
namespace {

using namespace std::chrono_literals;

TEST(PeriodicTask, ARunThatThrowsIsReportedAndTheNextRunsAnyway) {
    std::atomic<int> runs{0};
    std::mutex mutex;
    std::vector<std::string> failures;
    ops::PeriodicTask task(
        2ms,
        [&runs] {
            if (++runs <= 2) {
                throw std::runtime_error("store unavailable");
            }
        },
        [&](std::string_view what) {
            std::lock_guard lock(mutex);
            failures.emplace_back(what);
        });
    task.start();
    EXPECT_TRUE(testing::wait_for([&runs] { return runs >= 5; }));
    task.stop();
    std::lock_guard lock(mutex);
    EXPECT_EQ(failures, (std::vector<std::string>{"store unavailable", "store unavailable"}));
}

TEST(PeriodicTask, RunsMissedWhileOneWasSlowAreNotMadeUpInABurst) {
    std::mutex mutex;
    std::vector<std::chrono::steady_clock::time_point> starts;
    std::chrono::steady_clock::time_point slow_ended{};
    ops::PeriodicTask task(5ms, [&] {
        std::unique_lock lock(mutex);
        starts.push_back(std::chrono::steady_clock::now());
        if (starts.size() == 1) {
            lock.unlock();
            std::this_thread::sleep_for(200ms);  // forty intervals
            lock.lock();
            slow_ended = std::chrono::steady_clock::now();
        }
    });
    task.start();
    EXPECT_TRUE(testing::wait_for([&] {
        std::lock_guard lock(mutex);
        return starts.size() >= 4;
    }));
    task.stop();
    std::lock_guard lock(mutex);
    // The run after the slow one comes an interval later, not at once with the others missed.
    ASSERT_GE(starts.size(), 2u);
    EXPECT_GE(starts[1] - slow_ended, 4ms);
}

}  // namespace
}  // namespace botcore
