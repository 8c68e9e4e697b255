// A per-user request limit in fixed one-minute windows. With a shared cache the count is the
// cluster's (every instance adds to one counter per user); without one, or while it is
// unreachable, each instance counts on its own.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "ports/cache.hpp"
#include "ports/clock.hpp"

namespace botcore::api {

class UserRateLimit {
  public:
    // per_minute 0: no limit.
    UserRateLimit(std::string name, int per_minute, ports::Cache* cache, const ports::Clock& clock)
        : name_(std::move(name)), per_minute_(per_minute), cache_(cache), clock_(clock) {}

    // Counts one request; nullopt when it is allowed, else the seconds until the window ends.
    std::optional<int> refuse(const std::string& user_id);
    int per_minute() const { return per_minute_; }

  private:
    std::int64_t count_locally(const std::string& user_id, std::int64_t window);

    std::string name_;
    int per_minute_;
    ports::Cache* cache_;
    const ports::Clock& clock_;
    std::mutex mutex_;
    std::int64_t window_ = -1;
    std::unordered_map<std::string, std::int64_t> counts_;  // of the current window only
};

}  // namespace botcore::api
