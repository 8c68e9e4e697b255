// Read routing: each query class reads from the primary or from a streaming replica according
// to its read preference. A replica that cannot be reached, or whose replay lags the primary
// by more than the bound, is skipped until it catches up (checked every second).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/postgres/pg_pool.hpp"
#include "ports/store_engine.hpp"

namespace botcore::adapters::postgres {

enum class ReadPreference { kPrimary, kPrimaryPreferred, kSecondary, kSecondaryPreferred };

std::optional<ReadPreference> parse_read_preference(std::string_view text);

class ReadRouter {
  public:
    ReadRouter(Pool& primary, const std::vector<std::string>& replica_urls,
               PoolSettings replica_pool, std::chrono::milliseconds max_lag);
    ReadRouter(const ReadRouter&) = delete;
    ReadRouter& operator=(const ReadRouter&) = delete;

    // A connection for a read with this preference. Throws StoreUnavailable when none fits.
    Pool::Lease acquire(ReadPreference preference);
    // Measures each replica's lag against the primary and marks it usable or not.
    void check_replicas();
    void close_idle();
    std::vector<ports::ReplicaState> replicas() const;

  private:
    struct Replica {
        std::string name;
        std::unique_ptr<Pool> pool;
        std::atomic<bool> healthy{false};
        std::atomic<double> lag_seconds{0};
    };
    std::optional<Pool::Lease> healthy_replica();

    Pool& primary_;
    std::vector<std::unique_ptr<Replica>> replicas_;
    const std::chrono::milliseconds max_lag_;
    std::atomic<std::size_t> next_{0};
};

}  // namespace botcore::adapters::postgres
