#include "market/backoff.hpp"

#include <algorithm>

namespace botcore::market {

DelayRange backoff_range(const BackoffPolicy& policy, int attempt) {
    const auto base = std::max<std::int64_t>(0, policy.base.count());
    const auto cap = std::max<std::int64_t>(0, policy.cap.count());
    std::int64_t ceiling = base;
    for (int i = 0; i < attempt && ceiling > 0 && ceiling < cap; ++i) {
        ceiling = ceiling > cap / 2 ? cap : ceiling * 2;
    }
    return {std::chrono::milliseconds(0), std::chrono::milliseconds(std::min(ceiling, cap))};
}

std::chrono::milliseconds pick_delay(DelayRange range, std::uint64_t random_bits) {
    if (range.max <= range.min) {
        return range.min;
    }
    const auto width = static_cast<std::uint64_t>((range.max - range.min).count()) + 1;
    return range.min + std::chrono::milliseconds(static_cast<std::int64_t>(random_bits % width));
}

DelayRange Backoff::after_disconnect(std::chrono::milliseconds uptime) {
    if (uptime >= policy_.stable_after) {
        attempt_ = 0;
    }
    const auto range = backoff_range(policy_, attempt_);
    if (attempt_ < 1'000'000) {
        ++attempt_;
    }
    return range;
}

}  // namespace botcore::market
