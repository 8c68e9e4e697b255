#include "market/backoff.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace botcore::market {
namespace {

using std::chrono::milliseconds;

constexpr BackoffPolicy kPolicy{milliseconds(100), milliseconds(1000), milliseconds(5000)};

TEST(BackoffRange, DoublesFromTheBaseUpToTheCap) {
    EXPECT_EQ(backoff_range(kPolicy, 0), (DelayRange{milliseconds(0), milliseconds(100)}));
    EXPECT_EQ(backoff_range(kPolicy, 1), (DelayRange{milliseconds(0), milliseconds(200)}));
    EXPECT_EQ(backoff_range(kPolicy, 3), (DelayRange{milliseconds(0), milliseconds(800)}));
    EXPECT_EQ(backoff_range(kPolicy, 4), (DelayRange{milliseconds(0), milliseconds(1000)}));
    EXPECT_EQ(backoff_range(kPolicy, 1'000'000), (DelayRange{milliseconds(0), milliseconds(1000)}));
}

TEST(BackoffRange, NeverOverflows) {
    const BackoffPolicy huge{milliseconds(std::numeric_limits<std::int64_t>::max() / 3),
                             milliseconds(std::numeric_limits<std::int64_t>::max()),
                             milliseconds(0)};
    EXPECT_EQ(backoff_range(huge, 70).max, huge.cap);
    const BackoffPolicy zero{milliseconds(0), milliseconds(1000), milliseconds(0)};
    EXPECT_EQ(backoff_range(zero, 50).max, milliseconds(0));
}

TEST(PickDelay, StaysWithinTheRangeAndCoversIt) {
    const DelayRange range{milliseconds(0), milliseconds(200)};
    EXPECT_EQ(pick_delay(range, 0), milliseconds(0));
    EXPECT_EQ(pick_delay(range, 200), milliseconds(200));
    EXPECT_EQ(pick_delay(range, 201), milliseconds(0));
    EXPECT_EQ(pick_delay(range, std::numeric_limits<std::uint64_t>::max()),
              milliseconds(std::numeric_limits<std::uint64_t>::max() % 201));
    EXPECT_EQ(pick_delay({milliseconds(50), milliseconds(50)}, 12345), milliseconds(50));
    EXPECT_EQ(pick_delay({milliseconds(10), milliseconds(20)}, 3), milliseconds(13));
}

TEST(Backoff, GrowsWithEveryFailedAttempt) {
    Backoff backoff(kPolicy);
    EXPECT_EQ(backoff.after_disconnect(milliseconds(0)).max, milliseconds(100));
    EXPECT_EQ(backoff.after_disconnect(milliseconds(0)).max, milliseconds(200));
    EXPECT_EQ(backoff.after_disconnect(milliseconds(4999)).max, milliseconds(400));
    EXPECT_EQ(backoff.attempt(), 3);
}

TEST(Backoff, StartsOverAfterAStableConnection) {
    Backoff backoff(kPolicy);
    for (int i = 0; i < 10; ++i) {
        backoff.after_disconnect(milliseconds(0));
    }
    EXPECT_EQ(backoff.after_disconnect(milliseconds(10)).max, milliseconds(1000));
    EXPECT_EQ(backoff.after_disconnect(milliseconds(5000)).max, milliseconds(100));
    EXPECT_EQ(backoff.attempt(), 1);
}

}  // namespace
}  // namespace botcore::market
