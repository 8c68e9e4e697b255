#include "ops/periodic_task.hpp"

namespace botcore::ops {

PeriodicTask::PeriodicTask(std::chrono::microseconds interval, std::function<void()> task)
    : interval_(interval), task_(std::move(task)) {}

PeriodicTask::~PeriodicTask() {
    stop();
}

void PeriodicTask::start() {
    thread_ = std::thread([this] {
        // Fixed rate: a slow run does not push the schedule back.
        auto next = std::chrono::steady_clock::now();
        for (;;) {
            next += interval_;
            {
                std::unique_lock lock(mutex_);
                if (wake_.wait_until(lock, next, [this] { return stopping_; })) {
                    return;
                }
            }
            task_();
        }
    });
}

void PeriodicTask::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

}  // namespace botcore::ops
