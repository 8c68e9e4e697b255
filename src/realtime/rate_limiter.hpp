// A token bucket: `capacity` events at once, refilled evenly over `per_ms`. Pure: time is an
// argument.
#pragma once

#include <algorithm>
#include <cstdint>

namespace botcore::realtime {

class RateLimiter {
  public:
    RateLimiter(std::int64_t capacity, std::int64_t per_ms)
        : capacity_(capacity), per_ms_(per_ms), tokens_scaled_(capacity * per_ms) {}

    // Takes one token; false when the bucket is empty (the event is over the limit).
    bool allow(std::int64_t now_ms) {
        if (last_ms_ >= 0 && now_ms > last_ms_) {
            // Scaled by per_ms so a refill of capacity/per_ms tokens per ms stays an integer.
            tokens_scaled_ =
                std::min(capacity_ * per_ms_, tokens_scaled_ + (now_ms - last_ms_) * capacity_);
        }
        last_ms_ = std::max(last_ms_, now_ms);
        if (tokens_scaled_ < per_ms_) {
            return false;
        }
        tokens_scaled_ -= per_ms_;
        return true;
    }

  private:
    std::int64_t capacity_;
    std::int64_t per_ms_;
    std::int64_t tokens_scaled_;
    std::int64_t last_ms_ = -1;
};

}  // namespace botcore::realtime
