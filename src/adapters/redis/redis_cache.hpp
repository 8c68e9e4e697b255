// The shared cache on Redis: cache-aside values with a TTL, fixed-window counters and leases
// (sorted sets scored by expiry, timed by Redis's clock so instances' clocks do not matter).
// A thread renews the leases this process holds and re-adds them after Redis lost them (a
// restart), and pings so health() notices when Redis returns.
#pragma once

#include <condition_variable>
#include <set>
#include <thread>

#include "adapters/redis/redis_link.hpp"
#include "ports/cache.hpp"

namespace botcore::adapters::redis {

struct RedisCacheSettings {
    RedisEndpoint endpoint;
    std::string prefix = "botcore:";  // before every key
    std::chrono::milliseconds timeout{200};
    std::chrono::milliseconds lease_ttl{30'000};
};

class RedisCache final : public ports::Cache {
  public:
    explicit RedisCache(RedisCacheSettings settings);
    ~RedisCache() override;
    RedisCache(const RedisCache&) = delete;
    RedisCache& operator=(const RedisCache&) = delete;

    std::optional<std::string> get(std::string_view key) override;
    void put(std::string_view key, std::string_view value, std::chrono::seconds ttl) override;
    void erase(std::string_view key) override;
    std::optional<bool> contains(std::string_view key) override;
    std::optional<std::int64_t> count(std::string_view key, std::int64_t window_ms) override;
    Lease take_lease(std::string_view key, std::string_view holder, int limit) override;
    void drop_lease(std::string_view key, std::string_view holder) override;
    ports::ServiceHealth health() const override;

    // Renews (or re-adds) every held lease now; false when Redis did not answer.
    bool renew_leases();

  private:
    std::string key(std::string_view name) const;
    void maintain(std::stop_token stop);

    RedisCacheSettings settings_;
    RedisLink link_;
    std::mutex leases_mutex_;
    std::set<std::pair<std::string, std::string>, std::less<>> held_;  // (key, holder)
    std::mutex wake_mutex_;
    std::condition_variable_any wake_;
    std::jthread maintainer_;
};

}  // namespace botcore::adapters::redis
