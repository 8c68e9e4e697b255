// How long to wait before reconnecting: exponential backoff with full jitter (a uniformly
// random delay between zero and an exponentially growing ceiling), so clients that lost the
// same server do not come back in lockstep. Pure: randomness comes in as bits.
#pragma once

#include <chrono>
#include <cstdint>

namespace botcore::market {

struct BackoffPolicy {
    std::chrono::milliseconds base{500};    // the ceiling of the first retry
    std::chrono::milliseconds cap{30'000};  // the ceiling never grows past this
    // A connection that stayed up at least this long was stable: the next retry starts over.
    std::chrono::milliseconds stable_after{60'000};
};

struct DelayRange {
    std::chrono::milliseconds min{0};
    std::chrono::milliseconds max{0};
    bool operator==(const DelayRange&) const = default;
};

// [0, min(cap, base * 2^attempt)] for attempt = 0, 1, 2, ...; never overflows.
DelayRange backoff_range(const BackoffPolicy& policy, int attempt);

// A delay in [range.min, range.max], uniform over random_bits.
std::chrono::milliseconds pick_delay(DelayRange range, std::uint64_t random_bits);

// The retry count of one connection.
class Backoff {
  public:
    explicit Backoff(BackoffPolicy policy) : policy_(policy) {}

    // The connection just ended (or failed to open, uptime zero): the range of the wait
    // before the next attempt. A stable connection resets the count first.
    DelayRange after_disconnect(std::chrono::milliseconds uptime);
    // Retries since the last stable connection.
    int attempt() const { return attempt_; }

  private:
    BackoffPolicy policy_;
    int attempt_ = 0;
};

}  // namespace botcore::market
