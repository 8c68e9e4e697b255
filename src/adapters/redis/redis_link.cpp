#include "adapters/redis/redis_link.hpp"

namespace botcore::adapters::redis {

RedisLink::RedisLink(RedisEndpoint endpoint, std::chrono::milliseconds timeout,
                     std::chrono::milliseconds retry)
    : endpoint_(std::move(endpoint)), timeout_(timeout), retry_(retry) {}

RedisConnection* RedisLink::connection(std::string& error) {
    if (connection_ && !connection_->broken()) {
        return &*connection_;
    }
    connection_.reset();
    const auto now = std::chrono::steady_clock::now();
    if (now < next_attempt_) {
        error = "redis unreachable (retrying)";
        return nullptr;
    }
    next_attempt_ = now + retry_;
    auto opened = RedisConnection::open(endpoint_, timeout_);
    if (!opened) {
        error = opened.error();
        return nullptr;
    }
    connection_.emplace(std::move(*opened));
    return &*connection_;
}

template <typename Result>
Result RedisLink::settle(Result result) {
    healthy_.store(result.has_value(), std::memory_order_relaxed);
    return result;
}

std::expected<RedisReply, std::string> RedisLink::command(std::span<const std::string> args) {
    std::lock_guard lock(mutex_);
    std::string error;
    auto* open = connection(error);
    if (open == nullptr) {
        return settle(std::expected<RedisReply, std::string>(std::unexpected(error)));
    }
    return settle(open->command(args));
}

std::expected<std::vector<RedisReply>, std::string> RedisLink::pipeline(
    std::span<const RedisCommand> commands) {
    std::lock_guard lock(mutex_);
    std::string error;
    auto* open = connection(error);
    if (open == nullptr) {
        return settle(std::expected<std::vector<RedisReply>, std::string>(std::unexpected(error)));
    }
    return settle(open->pipeline(commands));
}

}  // namespace botcore::adapters::redis
