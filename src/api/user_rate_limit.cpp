#include "api/user_rate_limit.hpp"

namespace botcore::api {

namespace {

constexpr std::int64_t kWindowMs = 60'000;

}  // namespace

std::int64_t UserRateLimit::count_locally(const std::string& user_id, std::int64_t window) {
    std::lock_guard lock(mutex_);
    if (window != window_) {
        counts_.clear();  // only this minute's users are kept
        window_ = window;
    }
    return ++counts_[user_id];
}

std::optional<int> UserRateLimit::refuse(const std::string& user_id) {
    if (per_minute_ <= 0) {
        return std::nullopt;
    }
    const auto now = clock_.now_ms();
    const auto window = now / kWindowMs;
    std::optional<std::int64_t> count;
    if (cache_ != nullptr) {
        count = cache_->count("rl:" + name_ + ":" + user_id, kWindowMs);
    }
    if (!count) {
        count = count_locally(user_id, window);
    }
    if (*count <= per_minute_) {
        return std::nullopt;
    }
    return static_cast<int>(((window + 1) * kWindowMs - now + 999) / 1000);
}

}  // namespace botcore::api
