#include "adapters/redis/redis_cache.hpp"

namespace botcore::adapters::redis {

namespace {

// KEYS[1] the lease set, ARGV: holder, limit, ttl ms. 1 taken (or renewed), 0 full.
constexpr std::string_view kTakeLease = R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and
   redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
)";

// KEYS[1] the counter's name, ARGV[1] the window in ms: the count in the current window.
constexpr std::string_view kCount = R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local key = KEYS[1] .. ':' .. math.floor(now / window)
local n = redis.call('INCR', key)
if n == 1 then redis.call('PEXPIRE', key, window * 2) end
return n
)";

// A renewal never finds the set full.
constexpr std::string_view kNoLimit = "1000000000";

RedisCommand lease_command(const std::string& key, std::string_view holder, std::string_view limit,
                           std::chrono::milliseconds ttl) {
    return {"EVAL",
            std::string(kTakeLease),
            "1",
            key,
            std::string(holder),
            std::string(limit),
            std::to_string(ttl.count())};
}

}  // namespace

RedisCache::RedisCache(RedisCacheSettings settings)
    : settings_(std::move(settings)),
      link_(settings_.endpoint, settings_.timeout),
      maintainer_([this](std::stop_token stop) { maintain(stop); }) {}

RedisCache::~RedisCache() {
    maintainer_.request_stop();
    wake_.notify_all();
}

std::string RedisCache::key(std::string_view name) const {
    return settings_.prefix + std::string(name);
}

std::optional<std::string> RedisCache::get(std::string_view name) {
    const RedisCommand command{"GET", key(name)};
    const auto reply = link_.command(command);
    if (!reply || reply->type != RedisReply::Type::kString) {
        return std::nullopt;
    }
    return reply->text;
}

void RedisCache::put(std::string_view name, std::string_view value, std::chrono::seconds ttl) {
    const RedisCommand command{"SET", key(name), std::string(value), "EX",
                               std::to_string(std::max<std::int64_t>(1, ttl.count()))};
    (void)link_.command(command);
}

void RedisCache::erase(std::string_view name) {
    const RedisCommand command{"DEL", key(name)};
    (void)link_.command(command);
}

std::optional<bool> RedisCache::contains(std::string_view name) {
    const RedisCommand command{"EXISTS", key(name)};
    const auto reply = link_.command(command);
    if (!reply || reply->type != RedisReply::Type::kInteger) {
        return std::nullopt;
    }
    return reply->integer > 0;
}

std::optional<std::int64_t> RedisCache::count(std::string_view name, std::int64_t window_ms) {
    const RedisCommand command{"EVAL", std::string(kCount), "1", key(name),
                               std::to_string(std::max<std::int64_t>(1, window_ms))};
    const auto reply = link_.command(command);
    if (!reply || reply->type != RedisReply::Type::kInteger) {
        return std::nullopt;
    }
    return reply->integer;
}

ports::Cache::Lease RedisCache::take_lease(std::string_view name, std::string_view holder,
                                           int limit) {
    const auto full_key = key(name);
    const auto reply =
        link_.command(lease_command(full_key, holder, std::to_string(limit), settings_.lease_ttl));
    if (reply && reply->type == RedisReply::Type::kInteger && reply->integer == 0) {
        return Lease::kFull;
    }
    // Held also when Redis is away: the renewals add it once Redis is back.
    {
        std::lock_guard lock(leases_mutex_);
        held_.emplace(full_key, holder);
    }
    return reply && reply->type == RedisReply::Type::kInteger ? Lease::kTaken : Lease::kUnreachable;
}

void RedisCache::drop_lease(std::string_view name, std::string_view holder) {
    auto full_key = key(name);
    {
        std::lock_guard lock(leases_mutex_);
        if (const auto it = held_.find(std::pair(full_key, std::string(holder)));
            it != held_.end()) {
            held_.erase(it);
        }
    }
    const RedisCommand command{"ZREM", std::move(full_key), std::string(holder)};
    (void)link_.command(command);
}

ports::ServiceHealth RedisCache::health() const {
    return link_.healthy() ? ports::ServiceHealth::kOk : ports::ServiceHealth::kFailing;
}

bool RedisCache::renew_leases() {
    std::vector<std::pair<std::string, std::string>> renewed;
    {
        std::lock_guard lock(leases_mutex_);
        renewed.assign(held_.begin(), held_.end());
    }
    if (renewed.empty()) {
        const RedisCommand ping{"PING"};
        return link_.command(ping).has_value();
    }
    std::vector<RedisCommand> commands;
    commands.reserve(renewed.size());
    for (const auto& [lease_key, holder] : renewed) {
        commands.push_back(lease_command(lease_key, holder, kNoLimit, settings_.lease_ttl));
    }
    if (!link_.pipeline(commands).has_value()) {
        return false;
    }
    // A lease dropped after it was read above may have been re-added after its ZREM: remove it
    // again, or it would hold a slot until it lapsed.
    commands.clear();
    {
        std::lock_guard lock(leases_mutex_);
        for (auto& [lease_key, holder] : renewed) {
            if (!held_.contains(std::pair(lease_key, holder))) {
                commands.push_back({"ZREM", std::move(lease_key), std::move(holder)});
            }
        }
    }
    return commands.empty() || link_.pipeline(commands).has_value();
}

void RedisCache::maintain(std::stop_token stop) {
    // Renewed three times per TTL; pinged every second in between, and renewed at once when
    // Redis answers again after failing.
    const auto renew_every = settings_.lease_ttl / 3;
    auto last_renewal = std::chrono::steady_clock::now();
    bool was_healthy = true;
    while (!stop.stop_requested()) {
        const auto now = std::chrono::steady_clock::now();
        bool healthy;
        if (!was_healthy || now - last_renewal >= renew_every) {
            healthy = renew_leases();
            if (healthy) {
                last_renewal = now;
            }
        } else {
            const RedisCommand ping{"PING"};
            healthy = link_.command(ping).has_value();
        }
        was_healthy = healthy;
        std::unique_lock lock(wake_mutex_);
        wake_.wait_for(lock, stop, std::chrono::seconds(1), [] { return false; });
    }
}

}  // namespace botcore::adapters::redis
