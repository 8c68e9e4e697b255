#include "auth/lockout.hpp"

#include <gtest/gtest.h>

namespace botcore::auth {
namespace {

constexpr std::int64_t kMinute = 60'000;
const LockoutPolicy kPolicy{5, 15 * kMinute, 15 * kMinute};

LoginState fail_times(LoginState state, int times, std::int64_t start_ms, std::int64_t step_ms) {
    for (int i = 0; i < times; ++i) {
        state = after_failure(state, start_ms + i * step_ms, kPolicy);
    }
    return state;
}

TEST(Lockout, FourFailuresDoNotLock) {
    const auto state = fail_times({}, 4, 0, kMinute);
    EXPECT_FALSE(is_locked(state, 4 * kMinute));
    EXPECT_EQ(state.failures, 4);
}

TEST(Lockout, FifthFailureWithinTheWindowLocksForTheLockoutPeriod) {
    const auto state = fail_times({}, 5, 0, kMinute);  // last failure at minute 4
    EXPECT_TRUE(is_locked(state, 4 * kMinute));
    EXPECT_TRUE(is_locked(state, 4 * kMinute + 15 * kMinute - 1));
    EXPECT_FALSE(is_locked(state, 4 * kMinute + 15 * kMinute));
}

TEST(Lockout, FailuresSpreadBeyondTheWindowDoNotLock) {
    // One failure every 4 minutes: the 5th is 16 minutes after the 1st, a new window.
    const auto state = fail_times({}, 5, 0, 4 * kMinute);
    EXPECT_FALSE(is_locked(state, 16 * kMinute));
    EXPECT_EQ(state.failures, 1);
}

TEST(Lockout, SuccessClearsTheFailureCount) {
    auto state = fail_times({}, 4, 0, 1000);
    state = after_success();
    state = fail_times(state, 4, 10'000, 1000);
    EXPECT_FALSE(is_locked(state, 14'000));
}

TEST(Lockout, FailuresAfterALockExpiresStartFromZero) {
    auto state = fail_times({}, 5, 0, 1000);
    const auto unlocked_at = state.locked_until_ms;
    state = after_failure(state, unlocked_at + 1, kPolicy);
    EXPECT_FALSE(is_locked(state, unlocked_at + 1));
    EXPECT_EQ(state.failures, 1);
}

}  // namespace
}  // namespace botcore::auth
