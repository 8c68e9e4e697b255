// Who receives what on /ws. Connections are split into shards, one per network thread; a shard's
// subscriptions are touched only on its own thread, so publishing a message costs one post per
// shard, and delivering it needs no lock. Per-user connection counts are instance-wide.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ports/cache.hpp"
#include "realtime/send_queue.hpp"

namespace botcore::realtime {

// One of a user's connection slots, held by a connection until it closes.
struct UserSlot {
    std::string user_id;
    std::uint64_t id = 0;  // unique in this process
};

// A WebSocket connection as the hub sees it. Every call comes on the connection's own shard
// thread; deliver must not unsubscribe synchronously (the hub is iterating).
class Subscriber {
  public:
    virtual ~Subscriber() = default;
    virtual void deliver(const Message& message) = 0;
    // The instance is going away: close with a "reconnect elsewhere" code.
    virtual void close_for_restart() = 0;
};

class Hub {
  public:
    using Task = std::function<void()>;
    using Post = std::function<void(Task)>;

    // One Post per shard: runs a task on that shard's thread.
    Hub(std::vector<Post> shards, int max_connections_per_user);
    Hub(const Hub&) = delete;
    Hub& operator=(const Hub&) = delete;

    // Any thread.
    void publish(std::string channel, Message message);
    // Several channels' messages in one task per shard (a feed step of every symbol).
    using Batch = std::vector<std::pair<std::string, Message>>;
    void publish(Batch batch);
    // Whether any connection of this instance subscribes to channel (lets a publisher skip
    // serializing what nobody reads).
    bool has_subscribers(const std::string& channel) const;
    void publish_to_user(std::string user_id, Message message);
    // Whether the user has an open connection subscribed to "account" on this instance.
    bool wants_user_events(const std::string& user_id) const;
    // Reserves one of the user's connections; none when the user already has the maximum
    // (across the cluster when the slots are shared).
    std::optional<UserSlot> acquire_user_slot(const std::string& user_id);
    void release_user_slot(const UserSlot& slot);
    // Counts every instance's connections against the per-user limit: each connection holds a
    // lease in the shared cache, named after this instance and the slot. While the cache is
    // unreachable the limit holds per instance. Set before connections arrive.
    void share_user_slots(ports::Cache& cache, std::string instance_id);
    // Whether the user has a connection on any instance: a lease in the shared cache, or one
    // here. The cluster's answer is remembered for a second per user, so a user trading
    // steadily costs one lookup a second (a connection opened elsewhere within that second may
    // miss that second's events). Without a shared cache, this instance's answer.
    bool connected_anywhere(const std::string& user_id);
    void close_all_for_restart();
    std::size_t shard_count() const { return shards_.size(); }

    // The subscriber's shard thread only.
    void subscribe(std::size_t shard, const std::string& channel, Subscriber* subscriber);
    void unsubscribe(std::size_t shard, const std::string& channel, Subscriber* subscriber);
    void follow_user(std::size_t shard, const std::string& user_id, Subscriber* subscriber);
    void unfollow_user(std::size_t shard, const std::string& user_id, Subscriber* subscriber);
    void attach(std::size_t shard, Subscriber* subscriber);
    void detach(std::size_t shard, Subscriber* subscriber);

    struct Counters {
        std::atomic<std::uint64_t> published{0};   // messages published (one per broadcast)
        std::atomic<std::uint64_t> deliveries{0};  // copies handed to connections
    };
    const Counters& counters() const { return counters_; }

  private:
    struct Shard {
        Post post;
        std::unordered_map<std::string, std::vector<Subscriber*>> channels;
        std::unordered_map<std::string, std::vector<Subscriber*>> users;
        std::unordered_set<Subscriber*> all;
    };
    void deliver(const std::vector<Subscriber*>* subscribers, const Message& message);
    // The slot's lease holder in the shared cache.
    std::string slot_holder(std::uint64_t id) const;
    void forget_slot(const std::string& user_id);

    std::vector<Shard> shards_;
    int max_per_user_;
    ports::Cache* shared_slots_ = nullptr;
    std::string instance_id_;
    mutable std::mutex users_mutex_;
    std::unordered_map<std::string, int> user_slots_;
    std::uint64_t last_slot_id_ = 0;
    struct Presence {
        bool connected = false;
        std::chrono::steady_clock::time_point until;
    };
    std::mutex presence_mutex_;
    std::unordered_map<std::string, Presence> presence_;
    std::unordered_map<std::string, int> account_followers_;
    std::unordered_map<std::string, int> subscribed_shards_;  // channel -> shards with one
    Counters counters_;
};

}  // namespace botcore::realtime
