// A Redis connection shared by threads, one call at a time, reopened after it broke. While
// Redis is away a call fails at once, except one reconnection attempt per retry interval, so
// callers on request paths are never held up for long.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>

#include "adapters/redis/redis_connection.hpp"

namespace botcore::adapters::redis {

class RedisLink {
  public:
    RedisLink(RedisEndpoint endpoint, std::chrono::milliseconds timeout,
              std::chrono::milliseconds retry = std::chrono::milliseconds(1000));

    std::expected<RedisReply, std::string> command(std::span<const std::string> args);
    std::expected<std::vector<RedisReply>, std::string> pipeline(
        std::span<const RedisCommand> commands);
    // Whether the last call (or connection attempt) succeeded.
    bool healthy() const { return healthy_.load(std::memory_order_relaxed); }
    const RedisEndpoint& endpoint() const { return endpoint_; }

  private:
    // The open connection, opening one if allowed now; nullptr when Redis cannot be reached.
    RedisConnection* connection(std::string& error);
    template <typename Result>
    Result settle(Result result);

    RedisEndpoint endpoint_;
    std::chrono::milliseconds timeout_;
    std::chrono::milliseconds retry_;
    std::mutex mutex_;
    std::optional<RedisConnection> connection_;
    std::chrono::steady_clock::time_point next_attempt_{};
    std::atomic<bool> healthy_{false};
};

}  // namespace botcore::adapters::redis
