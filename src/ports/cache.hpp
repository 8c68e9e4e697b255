// The cache the instances of a cluster share: hot reads (cache-aside), counters for rate
// limits, and leases (the cluster-wide WebSocket connection limit).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ports/service_health.hpp"

namespace botcore::ports {

class Cache {
  public:
    virtual ~Cache() = default;

    // Cache-aside: nullopt when the key is missing or the cache unreachable.
    virtual std::optional<std::string> get(std::string_view key) = 0;
    virtual void put(std::string_view key, std::string_view value, std::chrono::seconds ttl) = 0;
    virtual void erase(std::string_view key) = 0;
    // Whether key holds anything (a value, a counter, leases); nullopt when unreachable.
    virtual std::optional<bool> contains(std::string_view key) = 0;

    // Adds one to key's counter in the current fixed window of window_ms (the cache's clock,
    // shared by every instance) and returns the new count; nullopt when unreachable.
    virtual std::optional<std::int64_t> count(std::string_view key, std::int64_t window_ms) = 0;

    // At most `limit` holders share key. A lease lapses unless renewed; the cache renews the
    // leases this process holds until they are dropped, so those of a process that died lapse
    // by themselves. Holding a lease already held is taking it again (kTaken).
    enum class Lease { kTaken, kFull, kUnreachable };
    virtual Lease take_lease(std::string_view key, std::string_view holder, int limit) = 0;
    virtual void drop_lease(std::string_view key, std::string_view holder) = 0;

    virtual ServiceHealth health() const = 0;
};

}  // namespace botcore::ports
