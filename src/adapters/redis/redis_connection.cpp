#include "adapters/redis/redis_connection.hpp"

#include <hiredis/hiredis.h>

#include <charconv>

namespace botcore::adapters::redis {

namespace {

timeval to_timeval(std::chrono::milliseconds timeout) {
    return timeval{static_cast<time_t>(timeout.count() / 1000),
                   static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
}

RedisReply convert(const redisReply& reply) {
    RedisReply out;
    switch (reply.type) {
        case REDIS_REPLY_INTEGER:
            out.type = RedisReply::Type::kInteger;
            out.integer = reply.integer;
            break;
        case REDIS_REPLY_STRING:
            out.type = RedisReply::Type::kString;
            out.text.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_STATUS:
            out.type = RedisReply::Type::kStatus;
            out.text.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_ERROR:
            out.type = RedisReply::Type::kError;
            out.text.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_ARRAY:
            out.type = RedisReply::Type::kArray;
            out.elements.reserve(reply.elements);
            for (std::size_t i = 0; i < reply.elements; ++i) {
                out.elements.push_back(convert(*reply.element[i]));
            }
            break;
        default:
            out.type = RedisReply::Type::kNil;
    }
    return out;
}

}  // namespace

std::expected<RedisEndpoint, std::string> parse_redis_url(std::string_view url) {
    constexpr std::string_view kScheme = "redis://";
    if (!url.starts_with(kScheme)) {
        return std::unexpected("a Redis URL starts with redis://");
    }
    url.remove_prefix(kScheme.size());
    RedisEndpoint endpoint;
    if (const auto at = url.rfind('@'); at != std::string_view::npos) {
        const auto userinfo = url.substr(0, at);
        const auto colon = userinfo.find(':');
        endpoint.password =
            std::string(colon == std::string_view::npos ? userinfo : userinfo.substr(colon + 1));
        url = url.substr(at + 1);
    }
    if (const auto slash = url.find('/'); slash != std::string_view::npos) {
        const auto db = url.substr(slash + 1);
        if (!db.empty()) {
            const auto [end, ec] =
                std::from_chars(db.data(), db.data() + db.size(), endpoint.database);
            if (ec != std::errc{} || end != db.data() + db.size() || endpoint.database < 0) {
                return std::unexpected("the Redis database must be a number");
            }
        }
        url = url.substr(0, slash);
    }
    if (const auto colon = url.rfind(':'); colon != std::string_view::npos) {
        const auto port = url.substr(colon + 1);
        const auto [end, ec] =
            std::from_chars(port.data(), port.data() + port.size(), endpoint.port);
        if (ec != std::errc{} || end != port.data() + port.size() || endpoint.port < 1 ||
            endpoint.port > 65535) {
            return std::unexpected("the Redis port must be 1-65535");
        }
        url = url.substr(0, colon);
    }
    if (url.empty()) {
        return std::unexpected("the Redis URL names no host");
    }
    endpoint.host = std::string(url);
    return endpoint;
}

void RedisConnection::Free::operator()(redisContext* context) const {
    redisFree(context);
}

std::expected<RedisConnection, std::string> RedisConnection::open(
    const RedisEndpoint& endpoint, std::chrono::milliseconds timeout) {
    auto* raw = redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, to_timeval(timeout));
    if (raw == nullptr) {
        return std::unexpected("cannot allocate a Redis connection");
    }
    RedisConnection connection(raw);
    if (raw->err != 0) {
        return std::unexpected(std::string("redis connect: ") + raw->errstr);
    }
    connection.set_timeout(timeout);
    if (!endpoint.password.empty()) {
        const auto authenticated = connection.command({"AUTH", endpoint.password});
        if (!authenticated) {
            return std::unexpected(authenticated.error());
        }
        if (authenticated->type == RedisReply::Type::kError) {
            return std::unexpected("redis AUTH refused");
        }
    }
    if (endpoint.database != 0) {
        const auto selected = connection.command({"SELECT", std::to_string(endpoint.database)});
        if (!selected) {
            return std::unexpected(selected.error());
        }
        if (selected->type == RedisReply::Type::kError) {
            return std::unexpected("redis SELECT: " + selected->text);
        }
    }
    return connection;
}

void RedisConnection::set_timeout(std::chrono::milliseconds timeout) {
    redisSetTimeout(context_.get(), to_timeval(timeout));
}

std::string RedisConnection::failure() {
    broken_ = true;
    return std::string("redis: ") + (context_->err != 0 ? context_->errstr : "connection lost");
}

bool RedisConnection::append(std::span<const std::string_view> args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const auto arg : args) {
        argv.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    return redisAppendCommandArgv(context_.get(), static_cast<int>(argv.size()), argv.data(),
                                  lengths.data()) == REDIS_OK;
}

std::expected<RedisReply, std::string> RedisConnection::read_reply() {
    void* raw = nullptr;
    if (redisGetReply(context_.get(), &raw) != REDIS_OK || raw == nullptr) {
        return std::unexpected(failure());
    }
    const std::unique_ptr<redisReply, decltype(&freeReplyObject)> reply(
        static_cast<redisReply*>(raw), &freeReplyObject);
    return convert(*reply);
}

std::expected<RedisReply, std::string> RedisConnection::command(
    std::initializer_list<std::string_view> args) {
    return run(std::span(args.begin(), args.size()));
}

std::expected<RedisReply, std::string> RedisConnection::command(std::span<const std::string> args) {
    const std::vector<std::string_view> views(args.begin(), args.end());
    return run(views);
}

std::expected<RedisReply, std::string> RedisConnection::run(
    std::span<const std::string_view> args) {
    if (broken_) {
        return std::unexpected("redis: connection broken");
    }
    if (!append(args)) {
        return std::unexpected(failure());
    }
    return read_reply();
}

std::expected<std::vector<RedisReply>, std::string> RedisConnection::pipeline(
    std::span<const RedisCommand> commands) {
    if (broken_) {
        return std::unexpected("redis: connection broken");
    }
    for (const auto& command : commands) {
        const std::vector<std::string_view> views(command.begin(), command.end());
        if (!append(views)) {
            return std::unexpected(failure());
        }
    }
    std::vector<RedisReply> replies;
    replies.reserve(commands.size());
    for (std::size_t i = 0; i < commands.size(); ++i) {
        auto reply = read_reply();
        if (!reply) {
            return std::unexpected(reply.error());
        }
        replies.push_back(std::move(*reply));
    }
    return replies;
}

}  // namespace botcore::adapters::redis
