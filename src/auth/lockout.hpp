// Login lockout rule: N failures within a window lock the account for a while. Pure: the
// store applies it inside the transaction that reads and writes the state.
#pragma once

#include <cstdint>

namespace botcore::auth {

struct LoginState {
    int failures = 0;
    std::int64_t window_start_ms = 0;  // first failure of the current window
    std::int64_t locked_until_ms = 0;
    bool operator==(const LoginState&) const = default;
};

struct LockoutPolicy {
    int max_failures = 5;
    std::int64_t window_ms = 15 * 60 * 1000;
    std::int64_t lock_ms = 15 * 60 * 1000;
};

inline bool is_locked(const LoginState& state, std::int64_t now_ms) {
    return now_ms < state.locked_until_ms;
}

// The window is fixed from its first failure: a failure after the window starts a new one.
inline LoginState after_failure(LoginState state, std::int64_t now_ms,
                                const LockoutPolicy& policy) {
    if (state.failures == 0 || now_ms - state.window_start_ms >= policy.window_ms) {
        state.failures = 0;
        state.window_start_ms = now_ms;
    }
    ++state.failures;
    if (state.failures >= policy.max_failures) {
        state.locked_until_ms = now_ms + policy.lock_ms;
        state.failures = 0;
        state.window_start_ms = 0;
    }
    return state;
}

inline LoginState after_success() {
    return LoginState{};
}

}  // namespace botcore::auth
