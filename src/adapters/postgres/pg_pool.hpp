// A pool of PostgreSQL connections: at least `min` kept open, at most `max`; a caller waits up
// to `acquire_wait` for a free one, then gets StoreUnavailable (the API answers 503).
// Connections idle longer than `idle` are closed down to `min`; broken ones are dropped, and with
// one that broke under a command, every idle one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "adapters/postgres/pg_connection.hpp"

namespace botcore::adapters::postgres {

struct PoolSettings {
    int min = 10;
    int max = 100;
    std::chrono::milliseconds idle{60'000};
    std::chrono::milliseconds acquire_wait{10'000};
    Statements statements = Statements::kPrepared;
};

class Pool {
  public:
    Pool(std::string url, PoolSettings settings);
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    class Lease {
      public:
        Lease(Pool& pool, std::unique_ptr<Connection> connection)
            : pool_(&pool), connection_(std::move(connection)) {}
        ~Lease() {
            if (connection_) {
                pool_->give_back(std::move(connection_));
            }
        }
        Lease(Lease&& other) noexcept = default;
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Connection* operator->() const { return connection_.get(); }
        Connection& operator*() const { return *connection_; }

      private:
        Pool* pool_;
        std::unique_ptr<Connection> connection_;
    };

    Lease acquire();
    // Opens connections up to min; throws StoreUnavailable when the server cannot be reached.
    void warm();
    // Closes connections idle for longer than the idle setting, keeping min open.
    void close_idle();

    int open() const;
    int in_use() const;
    // Idle connections found ended by the server when taken, and not handed out.
    std::uint64_t ended() const;

  private:
    void give_back(std::unique_ptr<Connection> connection);
    static std::int64_t now_ms();

    const std::string url_;
    const PoolSettings settings_;
    mutable std::mutex mutex_;
    std::condition_variable freed_;
    std::vector<std::unique_ptr<Connection>> idle_;  // most recently used last
    int open_ = 0;
    int in_use_ = 0;
    std::uint64_t ended_ = 0;
};

}  // namespace botcore::adapters::postgres
