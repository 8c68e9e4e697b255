// Runs a function every interval on a thread of its own until stopped (feeds, funding, jobs).
// A run that throws is reported and the next runs as planned: a failed job never ends the
// process. Runs missed while one was slow are skipped, not made up in a burst.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>

namespace botcore::ops {

class PeriodicTask {
  public:
    using OnFailure = std::function<void(std::string_view what)>;

    PeriodicTask(std::chrono::microseconds interval, std::function<void()> task,
                 OnFailure on_failure = {});
    ~PeriodicTask();  // stops
    PeriodicTask(const PeriodicTask&) = delete;
    PeriodicTask& operator=(const PeriodicTask&) = delete;

    void start();
    // Waits for a running task to finish; the task does not run again.
    void stop();

  private:
    void run_once();

    std::chrono::microseconds interval_;
    std::function<void()> task_;
    OnFailure on_failure_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace botcore::ops
