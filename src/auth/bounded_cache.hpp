// A small thread-safe map with a size bound, for values that are expensive to recompute and
// never go stale by themselves (verified token claims, user records). Sharded to keep lock
// contention low; a full shard is emptied rather than tracked for recency, which keeps the
// hot path to one hash and one short lock.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace botcore::auth {

template <class Value>
class BoundedCache {
  public:
    explicit BoundedCache(std::size_t capacity)
        : per_shard_(std::max<std::size_t>(1, capacity / kShards)) {}

    std::optional<Value> find(std::string_view key) const {
        const auto& shard = shard_for(key);
        std::lock_guard lock(shard.mutex);
        const auto it = shard.map.find(std::string(key));
        return it == shard.map.end() ? std::nullopt : std::optional<Value>(it->second);
    }

    void insert(std::string_view key, Value value) {
        auto& shard = shard_for(key);
        std::lock_guard lock(shard.mutex);
        if (shard.map.size() >= per_shard_) {
            shard.map.clear();
        }
        shard.map.insert_or_assign(std::string(key), std::move(value));
    }

    void erase(std::string_view key) {
        auto& shard = shard_for(key);
        std::lock_guard lock(shard.mutex);
        shard.map.erase(std::string(key));
    }

  private:
    static constexpr std::size_t kShards = 16;
    struct Shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, Value> map;
    };
    Shard& shard_for(std::string_view key) {
        return shards_[std::hash<std::string_view>{}(key) % kShards];
    }
    const Shard& shard_for(std::string_view key) const {
        return shards_[std::hash<std::string_view>{}(key) % kShards];
    }

    std::size_t per_shard_;
    std::array<Shard, kShards> shards_;
};

}  // namespace botcore::auth
