// Runs a function every interval on a thread of its own until stopped (feeds, funding, jobs).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace botcore::ops {

class PeriodicTask {
  public:
    PeriodicTask(std::chrono::microseconds interval, std::function<void()> task);
    ~PeriodicTask();  // stops
    PeriodicTask(const PeriodicTask&) = delete;
    PeriodicTask& operator=(const PeriodicTask&) = delete;

    void start();
    // Waits for a running task to finish; the task does not run again.
    void stop();

  private:
    std::chrono::microseconds interval_;
    std::function<void()> task_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace botcore::ops
