#include "api/user_rate_limit.hpp"

#include <gtest/gtest.h>

namespace botcore::api {
namespace {

class SetClock final : public ports::Clock {
  public:
    std::int64_t now_ms() const override { return now; }
    std::int64_t now = 1'800'000'000'000;  // a whole minute
};

TEST(UserRateLimit, AllowsTheLimitPerUserPerMinuteThenSaysWhenToRetry) {
    SetClock clock;
    clock.now += 15'000;  // 45 s left in this minute
    UserRateLimit limit("orders", 3, nullptr, clock);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(limit.refuse("alice"), std::nullopt) << i;
    }
    EXPECT_EQ(limit.refuse("alice"), 45);
    EXPECT_EQ(limit.refuse("bob"), std::nullopt);  // each user has a count of their own
    clock.now += 44'500;
    EXPECT_EQ(limit.refuse("alice"), 1);  // rounded up, never 0
    clock.now += 500;                     // the next minute
    EXPECT_EQ(limit.refuse("alice"), std::nullopt);
}

TEST(UserRateLimit, ZeroMeansNoLimit) {
    SetClock clock;
    UserRateLimit limit("orders", 0, nullptr, clock);
    for (int i = 0; i < 10'000; ++i) {
        ASSERT_EQ(limit.refuse("alice"), std::nullopt);
    }
}

// A cache that answers with counts of its own (the cluster's) or is unreachable.
class FakeSharedCounts final : public ports::Cache {
  public:
    std::optional<std::string> get(std::string_view) override { return std::nullopt; }
    void put(std::string_view, std::string_view, std::chrono::seconds) override {}
    void erase(std::string_view) override {}
    std::optional<bool> contains(std::string_view) override { return std::nullopt; }
    std::optional<std::int64_t> count(std::string_view key, std::int64_t) override {
        last_key = std::string(key);
        if (!reachable) {
            return std::nullopt;
        }
        return ++shared;
    }
    Lease take_lease(std::string_view, std::string_view, int) override { return Lease::kTaken; }
    void drop_lease(std::string_view, std::string_view) override {}
    ports::ServiceHealth health() const override { return ports::ServiceHealth::kOk; }

    bool reachable = true;
    std::int64_t shared = 0;
    std::string last_key;
};

TEST(UserRateLimit, CountsInTheSharedCacheAndAloneWhileItIsAway) {
    SetClock clock;
    FakeSharedCounts cache;
    UserRateLimit limit("orders", 2, &cache, clock);
    cache.shared = 1;  // another instance counted one already
    EXPECT_EQ(limit.refuse("alice"), std::nullopt);
    EXPECT_EQ(cache.last_key, "rl:orders:alice");
    EXPECT_NE(limit.refuse("alice"), std::nullopt);
    // Degraded: the instance's own count, from zero.
    cache.reachable = false;
    EXPECT_EQ(limit.refuse("alice"), std::nullopt);
    EXPECT_EQ(limit.refuse("alice"), std::nullopt);
    EXPECT_NE(limit.refuse("alice"), std::nullopt);
}

}  // namespace
}  // namespace botcore::api
