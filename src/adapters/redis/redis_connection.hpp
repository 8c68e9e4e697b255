// One blocking connection to Redis over hiredis, with timeouts. Not thread-safe: each user holds
// its own. After an I/O error or a timeout the connection is broken and must be replaced.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct redisContext;

namespace botcore::adapters::redis {

struct RedisEndpoint {
    std::string host;
    int port = 6379;
    int database = 0;
    std::string password;  // empty: no AUTH
};

// redis://[[user]:password@]host[:port][/database]
std::expected<RedisEndpoint, std::string> parse_redis_url(std::string_view url);

struct RedisReply {
    enum class Type { kNil, kInteger, kString, kStatus, kError, kArray };
    Type type = Type::kNil;
    std::int64_t integer = 0;
    std::string text;  // a string, status or error reply
    std::vector<RedisReply> elements;
};

using RedisCommand = std::vector<std::string>;

class RedisConnection {
  public:
    static std::expected<RedisConnection, std::string> open(const RedisEndpoint& endpoint,
                                                            std::chrono::milliseconds timeout);

    // An I/O failure or timeout is the error; a Redis error is a reply of type kError.
    std::expected<RedisReply, std::string> command(std::initializer_list<std::string_view> args);
    std::expected<RedisReply, std::string> command(std::span<const std::string> args);
    // Several commands in one round trip, one reply each.
    std::expected<std::vector<RedisReply>, std::string> pipeline(
        std::span<const RedisCommand> commands);
    // How long a reply may take (a blocking read waits its block time plus this).
    void set_timeout(std::chrono::milliseconds timeout);
    bool broken() const { return broken_; }

  private:
    struct Free {
        void operator()(redisContext* context) const;
    };
    explicit RedisConnection(redisContext* context) : context_(context) {}
    std::expected<RedisReply, std::string> run(std::span<const std::string_view> args);
    bool append(std::span<const std::string_view> args);
    std::expected<RedisReply, std::string> read_reply();
    std::string failure();

    std::unique_ptr<redisContext, Free> context_;
    bool broken_ = false;
};

}  // namespace botcore::adapters::redis
