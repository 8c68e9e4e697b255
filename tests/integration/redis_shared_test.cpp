// The Redis adapters against a real Redis server (ctest's redis fixture starts one on loopback):
// the cache, the cluster-wide connection leases and the event bus between instances.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>

#include "adapters/redis/redis_cache.hpp"
#include "adapters/redis/redis_event_bus.hpp"
#include "api/user_rate_limit.hpp"
#include "realtime/hub.hpp"
#include "test_support.hpp"

namespace botcore {
namespace {

using adapters::redis::RedisCache;
using adapters::redis::RedisCacheSettings;
using adapters::redis::RedisConnection;
using adapters::redis::RedisEndpoint;
using adapters::redis::RedisEventBus;
using adapters::redis::RedisEventBusSettings;
using adapters::redis::RedisReply;
using testing::wait_for;
using namespace std::chrono_literals;
using Lease = ports::Cache::Lease;

class RedisTest : public ::testing::Test {
  protected:
    void SetUp() override {
        const char* url = testing::redis_url();
        if (url == nullptr) {
            GTEST_SKIP() << "BOTCORE_TEST_REDIS_URL is not set: ctest starts a server";
        }
        auto endpoint = adapters::redis::parse_redis_url(url);
        ASSERT_TRUE(endpoint) << endpoint.error();
        endpoint_ = *endpoint;
        // Each test in its own key space.
        prefix_ = "botcore-test:" + std::to_string(std::random_device{}()) + ":";
    }

    RedisCacheSettings cache_settings(std::chrono::milliseconds lease_ttl = 30s) const {
        RedisCacheSettings settings;
        settings.endpoint = endpoint_;
        settings.prefix = prefix_;
        settings.lease_ttl = lease_ttl;
        return settings;
    }

    RedisEventBusSettings bus_settings(std::string origin) const {
        RedisEventBusSettings settings;
        settings.endpoint = endpoint_;
        settings.prefix = prefix_;
        settings.origin = std::move(origin);
        settings.max_length = 10'000;
        settings.block = 100ms;
        return settings;
    }

    // A direct connection, to look at or damage what the adapters keep.
    RedisConnection raw() const {
        auto connection = RedisConnection::open(endpoint_, 1s);
        EXPECT_TRUE(connection) << connection.error();
        return std::move(*connection);
    }

    RedisEndpoint endpoint_;
    std::string prefix_;
};

// An endpoint where nothing listens.
RedisEndpoint unreachable() {
    RedisEndpoint endpoint;
    endpoint.host = "127.0.0.1";
    endpoint.port = 1;  // privileged and unused on loopback: refused at once
    return endpoint;
}

// What a subscriber received, from any thread.
class Received {
  public:
    void add(std::string_view key, std::string_view body) {
        std::lock_guard lock(mutex_);
        items_.emplace_back(std::string(key), std::string(body));
    }
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return items_.size();
    }
    std::vector<std::pair<std::string, std::string>> items() const {
        std::lock_guard lock(mutex_);
        return items_;
    }

  private:
    mutable std::mutex mutex_;
    std::vector<std::pair<std::string, std::string>> items_;
};

TEST(RedisUrl, ParsesHostPortDatabaseAndPassword) {
    const auto plain = adapters::redis::parse_redis_url("redis://127.0.0.1:6380/2");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->host, "127.0.0.1");
    EXPECT_EQ(plain->port, 6380);
    EXPECT_EQ(plain->database, 2);
    EXPECT_EQ(plain->password, "");
    const auto secret = adapters::redis::parse_redis_url("redis://:s3cret@cache.internal");
    ASSERT_TRUE(secret);
    EXPECT_EQ(secret->host, "cache.internal");
    EXPECT_EQ(secret->port, 6379);
    EXPECT_EQ(secret->password, "s3cret");
    EXPECT_FALSE(adapters::redis::parse_redis_url("http://127.0.0.1:6379"));
    EXPECT_FALSE(adapters::redis::parse_redis_url("redis://127.0.0.1:0"));
    EXPECT_FALSE(adapters::redis::parse_redis_url("redis://127.0.0.1:6379/x"));
    EXPECT_FALSE(adapters::redis::parse_redis_url("redis://:6379"));
}

TEST_F(RedisTest, CacheAsideValuesAreSharedErasedAndExpire) {
    RedisCache a(cache_settings());
    RedisCache b(cache_settings());
    EXPECT_FALSE(a.get("perf:u1"));
    a.put("perf:u1", R"({"win_rate":"0.5"})", 60s);
    EXPECT_EQ(b.get("perf:u1"), R"({"win_rate":"0.5"})");
    b.erase("perf:u1");
    EXPECT_FALSE(a.get("perf:u1"));

    a.put("short", "v", 1s);
    EXPECT_EQ(a.get("short"), "v");
    EXPECT_TRUE(wait_for([&] { return !a.get("short"); }, 3s));
    EXPECT_EQ(a.health(), ports::ServiceHealth::kOk);
}

TEST_F(RedisTest, CountersAreSharedWithinAWindowAndStartOverInTheNext) {
    RedisCache a(cache_settings());
    RedisCache b(cache_settings());
    const auto first = a.count("orders:u1", 60'000);
    ASSERT_TRUE(first);
    EXPECT_EQ(b.count("orders:u1", 60'000), *first + 1);
    EXPECT_EQ(a.count("orders:u1", 60'000), *first + 2);
    EXPECT_EQ(a.count("orders:u2", 60'000), 1);
    // A 200 ms window: the count starts over once it has passed.
    ASSERT_TRUE(a.count("burst", 200));
    EXPECT_TRUE(wait_for([&] { return a.count("burst", 200) == 1; }, 2s));
}

TEST_F(RedisTest, ARateLimitCountsEveryInstancesRequests) {
    RedisCache cache_a(cache_settings());
    RedisCache cache_b(cache_settings());
    testing::ManualClock clock;
    api::UserRateLimit a("orders", 10, &cache_a, clock);
    api::UserRateLimit b("orders", 10, &cache_b, clock);
    // The windows are whole minutes of Redis's clock (this machine's): start well inside one,
    // so the loop cannot straddle two.
    while (std::chrono::system_clock::now().time_since_epoch() % 60s > 50s) {
        std::this_thread::sleep_for(100ms);
    }
    int allowed = 0;
    for (int i = 0; i < 20; ++i) {
        allowed += (i % 2 == 0 ? a : b).refuse("u1") ? 0 : 1;
    }
    EXPECT_GE(allowed, 10);
    EXPECT_LT(allowed, 20);
    EXPECT_EQ(allowed, 10);  // one count for both instances
    const auto refused = a.refuse("u1");
    ASSERT_TRUE(refused);
    EXPECT_GE(*refused, 1);
    EXPECT_LE(*refused, 60);
    EXPECT_EQ(b.refuse("u2"), std::nullopt);
}

TEST_F(RedisTest, LeasesHoldALimitAcrossProcesses) {
    RedisCache a(cache_settings());
    RedisCache b(cache_settings());
    for (const auto* holder : {"a#1", "a#2", "a#3"}) {
        EXPECT_EQ(a.take_lease("ws:u1", holder, 5), Lease::kTaken);
    }
    EXPECT_EQ(b.take_lease("ws:u1", "b#1", 5), Lease::kTaken);
    EXPECT_EQ(b.take_lease("ws:u1", "b#2", 5), Lease::kTaken);
    EXPECT_EQ(b.take_lease("ws:u1", "b#3", 5), Lease::kFull);
    // Taking a lease already held is not a new one.
    EXPECT_EQ(a.take_lease("ws:u1", "a#3", 5), Lease::kTaken);
    // Another key has its own limit.
    EXPECT_EQ(b.take_lease("ws:u2", "b#1", 5), Lease::kTaken);

    a.drop_lease("ws:u1", "a#3");
    EXPECT_EQ(b.take_lease("ws:u1", "b#3", 5), Lease::kTaken);
    EXPECT_EQ(a.take_lease("ws:u1", "a#3", 5), Lease::kFull);
}

TEST_F(RedisTest, LeasesOfAProcessThatStoppedLapseAndLiveOnesAreRenewed) {
    RedisCache survivor(cache_settings(600ms));
    {
        RedisCache departed(cache_settings(600ms));
        EXPECT_EQ(departed.take_lease("ws:u1", "gone#1", 2), Lease::kTaken);
        EXPECT_EQ(survivor.take_lease("ws:u1", "here#1", 2), Lease::kTaken);
        EXPECT_EQ(survivor.take_lease("ws:u1", "here#2", 2), Lease::kFull);
    }
    // The departed process no longer renews: its lease lapses within its TTL. The survivor's
    // is renewed well past the TTL.
    EXPECT_TRUE(
        wait_for([&] { return survivor.take_lease("ws:u1", "here#2", 2) == Lease::kTaken; }, 3s));
    std::this_thread::sleep_for(1500ms);
    EXPECT_EQ(survivor.take_lease("ws:u1", "other#1", 2), Lease::kFull);
}

TEST_F(RedisTest, LeasesLostByRedisAreAddedAgain) {
    RedisCache a(cache_settings(900ms));
    EXPECT_EQ(a.take_lease("ws:u1", "a#1", 1), Lease::kTaken);
    auto connection = raw();
    const auto key = prefix_ + "ws:u1";
    ASSERT_TRUE(connection.command({"DEL", key}));
    EXPECT_TRUE(wait_for(
        [&] {
            const auto members = connection.command({"ZCARD", key});
            return members && members->integer == 1;
        },
        3s));
    RedisCache b(cache_settings(900ms));
    EXPECT_EQ(b.take_lease("ws:u1", "b#1", 1), Lease::kFull);
}

// A renewal that read a lease just before it was dropped does not bring it back: the slot is
// free at once, not when the re-added lease lapses. Many other leases make each renewal take
// long enough for drops to happen between its read of the leases and its commands.
TEST_F(RedisTest, ARenewalNeverBringsBackADroppedLease) {
    RedisCache cache(cache_settings());
    for (int i = 0; i < 2'000; ++i) {
        ASSERT_EQ(cache.take_lease("ws:others", "o#" + std::to_string(i), 10'000), Lease::kTaken);
    }
    std::atomic<bool> done{false};
    std::atomic<int> renewals{0};
    std::jthread renewer([&] {
        while (!done) {
            EXPECT_TRUE(cache.renew_leases());
            ++renewals;
        }
    });
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    for (int i = 0; i < 100 && std::chrono::steady_clock::now() < deadline; ++i) {
        const auto holder = "a#" + std::to_string(i);
        ASSERT_EQ(cache.take_lease("ws:u1", holder, 1'000), Lease::kTaken);
        std::this_thread::sleep_for(std::chrono::microseconds(100 * (i % 20)));
        cache.drop_lease("ws:u1", holder);
    }
    done = true;
    renewer.join();
    EXPECT_GT(renewals.load(), 10);
    const auto members = raw().command({"ZCARD", prefix_ + "ws:u1"});
    ASSERT_TRUE(members);
    EXPECT_EQ(members->integer, 0);
}

TEST_F(RedisTest, AnUnreachableCacheFailsFastAndSaysSo) {
    auto settings = cache_settings();
    settings.endpoint = unreachable();
    RedisCache cache(settings);
    const auto started = std::chrono::steady_clock::now();
    EXPECT_FALSE(cache.get("k"));
    EXPECT_FALSE(cache.count("k", 1000));
    EXPECT_EQ(cache.take_lease("ws:u1", "a#1", 5), Lease::kUnreachable);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
    EXPECT_EQ(cache.health(), ports::ServiceHealth::kFailing);
}

TEST_F(RedisTest, ConnectionLimitOfTwoHubsIsClusterWide) {
    RedisCache cache_a(cache_settings());
    RedisCache cache_b(cache_settings());
    const auto inline_post = [](realtime::Hub::Task task) { task(); };
    realtime::Hub a({inline_post}, 5);
    realtime::Hub b({inline_post}, 5);
    a.share_user_slots(cache_a, "inst-a");
    b.share_user_slots(cache_b, "inst-b");
    std::vector<realtime::UserSlot> on_a;
    std::vector<realtime::UserSlot> on_b;
    for (int i = 0; i < 3; ++i) {
        const auto slot = a.acquire_user_slot("u1");
        ASSERT_TRUE(slot);
        on_a.push_back(*slot);
    }
    for (int i = 0; i < 2; ++i) {
        const auto slot = b.acquire_user_slot("u1");
        ASSERT_TRUE(slot);
        on_b.push_back(*slot);
    }
    EXPECT_FALSE(b.acquire_user_slot("u1"));
    EXPECT_FALSE(a.acquire_user_slot("u1"));
    EXPECT_TRUE(b.acquire_user_slot("u2"));
    // Closing any connection of a frees a slot for b.
    a.release_user_slot(on_a[1]);
    const auto moved = b.acquire_user_slot("u1");
    ASSERT_TRUE(moved);
    EXPECT_FALSE(a.acquire_user_slot("u1"));
    b.release_user_slot(*moved);
    b.release_user_slot(on_b[0]);
    EXPECT_TRUE(a.acquire_user_slot("u1"));
    EXPECT_TRUE(a.acquire_user_slot("u1"));
    EXPECT_FALSE(b.acquire_user_slot("u1"));
}

TEST_F(RedisTest, EventsReachEveryOtherInstanceOnceAndInOrder) {
    RedisEventBus a(bus_settings("inst-a"));
    RedisEventBus b(bus_settings("inst-b"));
    Received on_a, on_b, ticks_on_b;
    a.subscribe("user", [&](std::string_view key, std::string_view body) { on_a.add(key, body); });
    b.subscribe("user", [&](std::string_view key, std::string_view body) { on_b.add(key, body); });
    b.subscribe("ticks",
                [&](std::string_view key, std::string_view body) { ticks_on_b.add(key, body); });
    a.start();
    b.start();
    ASSERT_TRUE(wait_for([&] { return a.health() == ports::ServiceHealth::kOk; }, 3s));
    ASSERT_TRUE(wait_for([&] { return b.health() == ports::ServiceHealth::kOk; }, 3s));

    a.publish("user", "u1", "first");
    // The publisher's own handler runs before publish returns.
    ASSERT_EQ(on_a.size(), 1u);
    constexpr int kMessages = 2000;
    for (int i = 0; i < kMessages; ++i) {
        a.publish("user", "u" + std::to_string(i % 7), "m" + std::to_string(i));
    }
    a.publish("ticks", "", "BTCUSDT 65000.5");
    ASSERT_TRUE(wait_for([&] { return on_b.size() == kMessages + 1; }, 10s)) << on_b.size();
    ASSERT_TRUE(wait_for([&] { return ticks_on_b.size() == 1; }, 5s));
    const auto items = on_b.items();
    EXPECT_EQ(items[0], (std::pair<std::string, std::string>("u1", "first")));
    for (int i = 0; i < kMessages; ++i) {
        ASSERT_EQ(items[i + 1].second, "m" + std::to_string(i));
        ASSERT_EQ(items[i + 1].first, "u" + std::to_string(i % 7));
    }
    EXPECT_EQ(ticks_on_b.items()[0].second, "BTCUSDT 65000.5");
    // Nothing comes back to the publisher through Redis.
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(on_a.size(), kMessages + 1u);

    // b publishes too; a receives it.
    b.publish("user", "u9", "from b");
    EXPECT_TRUE(wait_for([&] { return on_a.size() == kMessages + 2u; }, 5s));
    EXPECT_EQ(on_a.items().back().second, "from b");
}

TEST_F(RedisTest, StreamsAreTrimmed) {
    auto settings = bus_settings("inst-a");
    settings.max_length = 100;
    RedisEventBus a(settings);
    a.subscribe("user", [](std::string_view, std::string_view) {});
    a.start();
    for (int i = 0; i < 5000; ++i) {
        a.publish("user", "u1", "m");
    }
    auto connection = raw();
    const auto stream = prefix_ + "bus:user";
    // MAXLEN ~ trims whole nodes: the stream stays within a node's size of the bound.
    ASSERT_TRUE(wait_for(
        [&] {
            const auto added = connection.command({"XINFO", "STREAM", stream});
            if (!added || added->type != RedisReply::Type::kArray) {
                return false;
            }
            for (std::size_t i = 0; i + 1 < added->elements.size(); i += 2) {
                if (added->elements[i].text == "entries-added") {
                    return added->elements[i + 1].integer == 5000;
                }
            }
            return false;
        },
        10s));
    const auto length = connection.command({"XLEN", stream});
    ASSERT_TRUE(length);
    EXPECT_LE(length->integer, 300);
    EXPECT_GE(length->integer, 100);
}

TEST_F(RedisTest, ABusWithoutRedisDeliversLocallySaysFailingAndNeverBlocks) {
    auto settings = bus_settings("inst-a");
    settings.endpoint = unreachable();
    settings.max_queued = 10;
    RedisEventBus bus(settings);
    Received received;
    bus.subscribe("user",
                  [&](std::string_view key, std::string_view body) { received.add(key, body); });
    bus.start();
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 50; ++i) {
        bus.publish("user", "u1", "m" + std::to_string(i));
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started, 500ms);
    EXPECT_EQ(received.size(), 50u);
    EXPECT_TRUE(wait_for([&] { return bus.health() == ports::ServiceHealth::kFailing; }, 3s));
    // The queue for other instances stays bounded: the oldest are dropped and counted.
    EXPECT_TRUE(wait_for([&] { return bus.dropped() >= 40; }, 3s)) << bus.dropped();
}

}  // namespace
}  // namespace botcore
