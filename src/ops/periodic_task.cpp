#include "ops/periodic_task.hpp"

#include <cstdio>
#include <exception>
#include <string>

namespace botcore::ops {

PeriodicTask::PeriodicTask(std::chrono::microseconds interval, std::function<void()> task,
                           OnFailure on_failure)
    : interval_(interval), task_(std::move(task)), on_failure_(std::move(on_failure)) {}

PeriodicTask::~PeriodicTask() {
    stop();
}

void PeriodicTask::start() {
    thread_ = std::thread([this] {
        auto next = std::chrono::steady_clock::now();
        for (;;) {
            next += interval_;
            {
                std::unique_lock lock(mutex_);
                if (wake_.wait_until(lock, next, [this] { return stopping_; })) {
                    return;
                }
            }
            run_once();
            // Fixed rate, but a run late by more than an interval starts the schedule again
            // from now rather than running the missed ones back to back.
            if (const auto now = std::chrono::steady_clock::now(); now > next + interval_) {
                next = now;
            }
        }
    });
}

void PeriodicTask::run_once() {
    const auto failed = [this](std::string_view what) {
        if (on_failure_) {
            on_failure_(what);
        } else {
            std::fprintf(stderr, "a periodic task failed: %s\n", std::string(what).c_str());
        }
    };
    try {
        task_();
    } catch (const std::exception& error) {
        failed(error.what());
    } catch (...) {
        failed("unknown exception");
    }
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
