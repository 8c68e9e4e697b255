// Work partitioning over PostgreSQL advisory locks: users fall into a fixed number of virtual
// shards, and an instance does a shard's background work only while it holds the shard's
// session-level advisory lock. Every instance also holds a membership lock, so all agree on how
// many are alive; each takes up to its fair share (shards / members, rounded up) of the free
// shards and gives back what is beyond it. An instance that dies loses its session and with it
// its locks (a host that vanished or an instance that hung: the server ends the session, see
// kSessionLimits): the others take its shards over on their next round (every second). If this
// instance's own session breaks, it owns nothing until it has locked shards again. The feed is
// one more lock of the same kind: whoever holds it leads the cluster's prices.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "adapters/postgres/pg_connection.hpp"
#include "ports/work_partition.hpp"

namespace botcore::adapters::postgres {

class PgPartition final : public ports::WorkPartition {
  public:
    static constexpr int kShards = 64;

    // idle_timeout: how long the server keeps the session (and the locks) of an instance that
    // has stopped balancing, hung or cut off.
    explicit PgPartition(std::string url,
                         std::chrono::milliseconds period = std::chrono::seconds(1),
                         std::chrono::milliseconds idle_timeout = std::chrono::seconds(60));
    ~PgPartition() override;
    PgPartition(const PgPartition&) = delete;
    PgPartition& operator=(const PgPartition&) = delete;

    // Takes a first share (so that work can start owning something), then keeps balancing.
    void start();
    bool owns(std::string_view user_id) const override;
    // Whether this instance leads the feed: one instance's feed drives the cluster's prices
    // (the feed lock, held like a shard and taken over like one).
    bool leads_feed() const { return leads_feed_.load(std::memory_order_relaxed); }
    void on_gained(std::function<void(const std::vector<int>& shards)> gained) override;
    int owned_count() const;
    // The instances alive in the cluster at the last round (0 before the first).
    int members() const { return members_.load(std::memory_order_relaxed); }
    // Other instances seen joining and leaving the cluster since this one joined (one that
    // restarted between two rounds counts once each).
    std::uint64_t joined() const { return joined_.load(std::memory_order_relaxed); }
    std::uint64_t left() const { return left_.load(std::memory_order_relaxed); }

    // One round: check the session, count members, take or give back shards.
    void balance();

  private:
    void forget_all();
    // Compares the members' sessions with the last round's.
    void count_members(const std::set<std::int64_t>& pids);
    void give_back(const std::vector<int>& shards);

    const std::string url_;
    const std::chrono::milliseconds period_;
    const std::chrono::milliseconds idle_timeout_;
    std::unique_ptr<Connection> session_;  // holds the locks; used by the balancing thread only
    std::int64_t shard_key_ = 0;           // advisory lock class ids, per schema
    std::int64_t member_key_ = 0;
    std::int64_t feed_key_ = 0;
    std::atomic<bool> leads_feed_{false};
    std::atomic<int> members_{0};
    std::set<std::int64_t> member_pids_;  // the balancing thread's
    std::atomic<std::uint64_t> joined_{0};
    std::atomic<std::uint64_t> left_{0};
    std::vector<std::atomic<bool>> owned_;
    std::mutex gained_mutex_;
    std::function<void(const std::vector<int>&)> gained_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace botcore::adapters::postgres
