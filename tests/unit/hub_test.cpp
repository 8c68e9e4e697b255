#include "realtime/hub.hpp"

#include <gtest/gtest.h>

#include <deque>

namespace botcore::realtime {
namespace {

// Shards whose tasks run when the test says so, like io_contexts that have not run yet.
struct ManualShards {
    std::vector<std::deque<Hub::Task>> queues;
    explicit ManualShards(std::size_t count) : queues(count) {}
    std::vector<Hub::Post> posts() {
        std::vector<Hub::Post> out;
        for (auto& queue : queues) {
            out.emplace_back([&queue](Hub::Task task) { queue.push_back(std::move(task)); });
        }
        return out;
    }
    void run_all() {
        for (auto& queue : queues) {
            while (!queue.empty()) {
                auto task = std::move(queue.front());
                queue.pop_front();
                task();
            }
        }
    }
};

struct Recorder : Subscriber {
    std::vector<std::string> received;
    int restarts = 0;
    void deliver(const Message& message) override { received.emplace_back(message->text()); }
    void close_for_restart() override { ++restarts; }
};

TEST(Hub, DeliversToSubscribersOfTheChannelOnEveryShard) {
    ManualShards shards(2);
    Hub hub(shards.posts(), 5);
    Recorder a, b, other;
    hub.subscribe(0, "prices:BTCUSDT", &a);
    hub.subscribe(1, "prices:BTCUSDT", &b);
    hub.subscribe(1, "prices:ETHUSDT", &other);
    hub.publish("prices:BTCUSDT", make_message("tick"));
    EXPECT_TRUE(a.received.empty());  // delivered on the shard's own thread, not the caller's
    shards.run_all();
    EXPECT_EQ(a.received, std::vector<std::string>{"tick"});
    EXPECT_EQ(b.received, std::vector<std::string>{"tick"});
    EXPECT_TRUE(other.received.empty());
    EXPECT_EQ(hub.counters().published.load(), 1u);
    EXPECT_EQ(hub.counters().deliveries.load(), 2u);
}

TEST(Hub, OneSerializedPayloadIsSharedByEveryRecipient) {
    ManualShards shards(1);
    Hub hub(shards.posts(), 5);
    struct Keeper : Subscriber {
        std::vector<Message> kept;
        void deliver(const Message& message) override { kept.push_back(message); }
        void close_for_restart() override {}
    } a, b;
    hub.subscribe(0, "prices:BTCUSDT", &a);
    hub.subscribe(0, "prices:BTCUSDT", &b);
    hub.publish("prices:BTCUSDT", make_message("tick"));
    shards.run_all();
    ASSERT_EQ(a.kept.size(), 1u);
    EXPECT_EQ(a.kept[0].get(), b.kept[0].get());
}

TEST(Hub, SubscribingTwiceDeliversOnce) {
    ManualShards shards(1);
    Hub hub(shards.posts(), 5);
    Recorder a;
    hub.subscribe(0, "account-free", &a);
    hub.subscribe(0, "account-free", &a);
    hub.publish("account-free", make_message("x"));
    shards.run_all();
    EXPECT_EQ(a.received.size(), 1u);
}

TEST(Hub, UnsubscribedConnectionsReceiveNothing) {
    ManualShards shards(1);
    Hub hub(shards.posts(), 5);
    Recorder a;
    hub.subscribe(0, "prices:BTCUSDT", &a);
    hub.unsubscribe(0, "prices:BTCUSDT", &a);
    hub.publish("prices:BTCUSDT", make_message("tick"));
    shards.run_all();
    EXPECT_TRUE(a.received.empty());
}

TEST(Hub, UserEventsReachOnlyThatUsersFollowers) {
    ManualShards shards(2);
    Hub hub(shards.posts(), 5);
    Recorder alice_phone, alice_laptop, bob;
    hub.follow_user(0, "alice", &alice_phone);
    hub.follow_user(1, "alice", &alice_laptop);
    hub.follow_user(1, "bob", &bob);
    EXPECT_TRUE(hub.wants_user_events("alice"));
    EXPECT_FALSE(hub.wants_user_events("carol"));
    hub.publish_to_user("alice", make_message("order"));
    shards.run_all();
    EXPECT_EQ(alice_phone.received.size(), 1u);
    EXPECT_EQ(alice_laptop.received.size(), 1u);
    EXPECT_TRUE(bob.received.empty());
    hub.unfollow_user(0, "alice", &alice_phone);
    EXPECT_TRUE(hub.wants_user_events("alice"));
    hub.unfollow_user(1, "alice", &alice_laptop);
    EXPECT_FALSE(hub.wants_user_events("alice"));
}

TEST(Hub, UserSlotsStopAtTheLimitAndFreeUpOnRelease) {
    ManualShards shards(1);
    Hub hub(shards.posts(), 2);
    const auto first = hub.acquire_user_slot("alice");
    ASSERT_TRUE(first);
    EXPECT_EQ(first->user_id, "alice");
    const auto second = hub.acquire_user_slot("alice");
    ASSERT_TRUE(second);
    EXPECT_NE(second->id, first->id);
    EXPECT_FALSE(hub.acquire_user_slot("alice"));
    EXPECT_TRUE(hub.acquire_user_slot("bob"));
    hub.release_user_slot(*first);
    EXPECT_TRUE(hub.acquire_user_slot("alice"));
}

TEST(Hub, KnowsWhetherAnyShardSubscribesToAChannel) {
    ManualShards shards(2);
    Hub hub(shards.posts(), 5);
    Recorder a, b;
    EXPECT_FALSE(hub.has_subscribers("prices:BTCUSDT"));
    hub.subscribe(0, "prices:BTCUSDT", &a);
    hub.subscribe(1, "prices:BTCUSDT", &b);
    hub.unsubscribe(1, "prices:ETHUSDT", &b);  // never subscribed: changes nothing
    hub.unsubscribe(0, "prices:BTCUSDT", &a);
    EXPECT_TRUE(hub.has_subscribers("prices:BTCUSDT"));
    hub.unsubscribe(1, "prices:BTCUSDT", &b);
    EXPECT_FALSE(hub.has_subscribers("prices:BTCUSDT"));
}

TEST(Hub, ABatchReachesEachChannelsSubscribersInOrderWithOnePostPerShard) {
    ManualShards shards(2);
    Hub hub(shards.posts(), 5);
    Recorder btc, both;
    hub.subscribe(0, "prices:BTCUSDT", &btc);
    hub.subscribe(1, "prices:BTCUSDT", &both);
    hub.subscribe(1, "prices:ETHUSDT", &both);
    hub.publish(Hub::Batch{{"prices:BTCUSDT", make_message("btc")},
                           {"prices:ETHUSDT", make_message("eth")},
                           {"prices:SOLUSDT", make_message("sol")}});
    EXPECT_EQ(shards.queues[0].size(), 1u);
    EXPECT_EQ(shards.queues[1].size(), 1u);
    shards.run_all();
    EXPECT_EQ(btc.received, std::vector<std::string>{"btc"});
    EXPECT_EQ(both.received, (std::vector<std::string>{"btc", "eth"}));
    EXPECT_EQ(hub.counters().published.load(), 3u);
}

TEST(Hub, RestartReachesEveryAttachedConnectionOnce) {
    ManualShards shards(2);
    Hub hub(shards.posts(), 5);
    Recorder a, b, gone;
    hub.attach(0, &a);
    hub.attach(1, &b);
    hub.attach(1, &gone);
    hub.detach(1, &gone);
    hub.close_all_for_restart();
    shards.run_all();
    EXPECT_EQ(a.restarts, 1);
    EXPECT_EQ(b.restarts, 1);
    EXPECT_EQ(gone.restarts, 0);
}

}  // namespace
}  // namespace botcore::realtime
