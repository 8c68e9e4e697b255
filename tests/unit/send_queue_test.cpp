#include "realtime/send_queue.hpp"

#include <gtest/gtest.h>

#include "realtime/rate_limiter.hpp"

namespace botcore::realtime {
namespace {

TEST(SendQueue, KeepsOrderOfMessagesWithoutKeys) {
    SendQueue queue(4);
    queue.push(make_message("a"));
    queue.push(make_message("b"));
    EXPECT_EQ((*queue.pop())->text(), "a");
    EXPECT_EQ((*queue.pop())->text(), "b");
    EXPECT_FALSE(queue.pop());
}

TEST(SendQueue, ANewerPriceReplacesTheQueuedOneInItsPlace) {
    SendQueue queue(4);
    queue.push(make_message("btc 1", "prices:BTCUSDT"));
    queue.push(make_message("eth 1", "prices:ETHUSDT"));
    EXPECT_EQ(queue.push(make_message("btc 2", "prices:BTCUSDT")), SendQueue::Push::kReplaced);
    EXPECT_EQ(queue.size(), 2u);
    EXPECT_EQ((*queue.pop())->text(), "btc 2");
    EXPECT_EQ((*queue.pop())->text(), "eth 1");
    EXPECT_EQ(queue.coalesced(), 1u);
}

// A slow reader of a candle channel: the open candle of the next minute never arrives before the
// closed candle of the minute before.
TEST(SendQueue, AReplacementNeverOvertakesAMessageThatIsNotReplaced) {
    SendQueue queue(8);
    queue.push(make_message("open 1", "candles:BTCUSDT:1m"));
    queue.push(make_message("eth 1", "prices:ETHUSDT"));
    queue.push(make_message("closed 1"));
    EXPECT_EQ(queue.push(make_message("open 2", "candles:BTCUSDT:1m")), SendQueue::Push::kReplaced);
    EXPECT_EQ(queue.push(make_message("eth 2", "prices:ETHUSDT")), SendQueue::Push::kReplaced);
    EXPECT_EQ(queue.size(), 3u);
    EXPECT_EQ((*queue.pop())->text(), "closed 1");
    EXPECT_EQ((*queue.pop())->text(), "open 2");
    EXPECT_EQ((*queue.pop())->text(), "eth 2");
}

TEST(SendQueue, MessagesWithoutKeysOverflowAtCapacity) {
    SendQueue queue(2);
    EXPECT_EQ(queue.push(make_message("1")), SendQueue::Push::kQueued);
    EXPECT_EQ(queue.push(make_message("2")), SendQueue::Push::kQueued);
    EXPECT_EQ(queue.push(make_message("3")), SendQueue::Push::kOverflow);
    EXPECT_EQ(queue.size(), 2u);
}

TEST(SendQueue, AFullQueueStillTakesTheNewestPriceOfAQueuedSymbol) {
    SendQueue queue(2);
    queue.push(make_message("order"));
    queue.push(make_message("btc 1", "prices:BTCUSDT"));
    EXPECT_EQ(queue.push(make_message("btc 2", "prices:BTCUSDT")), SendQueue::Push::kReplaced);
    EXPECT_EQ(queue.push(make_message("eth 1", "prices:ETHUSDT")), SendQueue::Push::kOverflow);
}

TEST(SendQueue, MemoryIsBoundedUnderAFloodOfPrices) {
    SendQueue queue(8);
    for (int i = 0; i < 10'000; ++i) {
        const auto symbol = "prices:S" + std::to_string(i % 3);
        ASSERT_NE(queue.push(make_message(std::to_string(i), symbol)), SendQueue::Push::kOverflow);
    }
    EXPECT_EQ(queue.size(), 3u);
    EXPECT_EQ((*queue.pop())->text(), "9999");  // S0's newest; S0 was queued first
}

TEST(SendQueue, AQueueThatNeverEmptiesKeepsItsOrderAndBound) {
    SendQueue queue(4);
    queue.push(make_message("0"));
    for (int i = 1; i < 1'000; ++i) {
        ASSERT_EQ(queue.push(make_message(std::to_string(i))), SendQueue::Push::kQueued);
        ASSERT_EQ((*queue.pop())->text(), std::to_string(i - 1));
        ASSERT_EQ(queue.size(), 1u);
    }
}

TEST(RateLimiter, AllowsTheCapacityAtOnceThenRefuses) {
    RateLimiter limiter(100, 60'000);
    for (int i = 0; i < 100; ++i) {
        ASSERT_TRUE(limiter.allow(1'000)) << i;
    }
    EXPECT_FALSE(limiter.allow(1'000));
}

TEST(RateLimiter, RefillsEvenlyOverTheWindow) {
    RateLimiter limiter(100, 60'000);
    for (int i = 0; i < 100; ++i) {
        limiter.allow(0);
    }
    EXPECT_FALSE(limiter.allow(599));  // 0.998 of a token
    EXPECT_TRUE(limiter.allow(600));   // one token per 600 ms
    EXPECT_FALSE(limiter.allow(600));
    EXPECT_TRUE(limiter.allow(60'000 + 600));
}

TEST(RateLimiter, NeverHoldsMoreThanItsCapacity) {
    RateLimiter limiter(5, 60'000);
    limiter.allow(0);
    int allowed = 0;
    for (int i = 0; i < 20; ++i) {
        allowed += limiter.allow(10'000'000);
    }
    EXPECT_EQ(allowed, 5);
}

TEST(RateLimiter, TimeGoingBackwardsGivesNoTokens) {
    RateLimiter limiter(1, 1'000);
    EXPECT_TRUE(limiter.allow(5'000));
    EXPECT_FALSE(limiter.allow(1'000));
    EXPECT_FALSE(limiter.allow(5'500));
    EXPECT_TRUE(limiter.allow(6'000));
}

}  // namespace
}  // namespace botcore::realtime
