#include "realtime/hub.hpp"

#include <algorithm>

namespace botcore::realtime {

namespace {

void remove_from(std::unordered_map<std::string, std::vector<Subscriber*>>& map,
                 const std::string& key, Subscriber* subscriber) {
    const auto it = map.find(key);
    if (it == map.end()) {
        return;
    }
    std::erase(it->second, subscriber);
    if (it->second.empty()) {
        map.erase(it);
    }
}

std::string slots_key(const std::string& user_id) {
    return "ws:" + user_id;
}

}  // namespace

Hub::Hub(std::vector<Post> shards, int max_connections_per_user)
    : max_per_user_(max_connections_per_user) {
    shards_.reserve(shards.size());
    for (auto& post : shards) {
        shards_.push_back(Shard{std::move(post), {}, {}, {}});
    }
}

void Hub::publish(std::string channel, Message message) {
    Batch batch;
    batch.emplace_back(std::move(channel), std::move(message));
    publish(std::move(batch));
}

void Hub::publish(Batch batch) {
    if (batch.empty()) {
        return;
    }
    counters_.published.fetch_add(batch.size(), std::memory_order_relaxed);
    auto shared = std::make_shared<const Batch>(std::move(batch));
    for (auto& shard : shards_) {
        shard.post([this, &shard, shared] {
            for (const auto& [channel, message] : *shared) {
                const auto it = shard.channels.find(channel);
                deliver(it == shard.channels.end() ? nullptr : &it->second, message);
            }
        });
    }
}

bool Hub::has_subscribers(const std::string& channel) const {
    std::lock_guard lock(users_mutex_);
    return subscribed_shards_.contains(channel);
}

void Hub::publish_to_user(std::string user_id, Message message) {
    for (auto& shard : shards_) {
        shard.post([this, &shard, user_id, message] {
            const auto it = shard.users.find(user_id);
            deliver(it == shard.users.end() ? nullptr : &it->second, message);
        });
    }
}

void Hub::deliver(const std::vector<Subscriber*>* subscribers, const Message& message) {
    if (subscribers == nullptr) {
        return;
    }
    for (auto* subscriber : *subscribers) {
        subscriber->deliver(message);
    }
    counters_.deliveries.fetch_add(subscribers->size(), std::memory_order_relaxed);
}

bool Hub::wants_user_events(const std::string& user_id) const {
    std::lock_guard lock(users_mutex_);
    return account_followers_.contains(user_id);
}

void Hub::share_user_slots(ports::Cache& cache, std::string instance_id) {
    shared_slots_ = &cache;
    instance_id_ = std::move(instance_id);
}

std::string Hub::slot_holder(std::uint64_t id) const {
    return instance_id_ + "#" + std::to_string(id);
}

std::optional<UserSlot> Hub::acquire_user_slot(const std::string& user_id) {
    UserSlot slot{user_id, 0};
    {
        std::lock_guard lock(users_mutex_);
        auto& count = user_slots_[user_id];
        if (count >= max_per_user_) {
            return std::nullopt;
        }
        ++count;  // reserved here before the cluster is asked, so the lock is not held meanwhile
        slot.id = ++last_slot_id_;
    }
    if (shared_slots_ != nullptr &&
        shared_slots_->take_lease(slots_key(user_id), slot_holder(slot.id), max_per_user_) ==
            ports::Cache::Lease::kFull) {
        forget_slot(user_id);
        return std::nullopt;
    }
    return slot;
}

void Hub::release_user_slot(const UserSlot& slot) {
    if (shared_slots_ != nullptr) {
        shared_slots_->drop_lease(slots_key(slot.user_id), slot_holder(slot.id));
    }
    forget_slot(slot.user_id);
}

bool Hub::connected_anywhere(const std::string& user_id) {
    {
        std::lock_guard lock(users_mutex_);
        if (user_slots_.contains(user_id)) {
            return true;
        }
    }
    if (shared_slots_ == nullptr) {
        return false;
    }
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(presence_mutex_);
        if (const auto it = presence_.find(user_id);
            it != presence_.end() && it->second.until > now) {
            return it->second.connected;
        }
    }
    // Unreachable: events could not cross instances anyway.
    const bool connected = shared_slots_->contains(slots_key(user_id)).value_or(false);
    std::lock_guard lock(presence_mutex_);
    if (presence_.size() > 100'000) {
        presence_.clear();  // bounded: only recently active users are remembered
    }
    presence_.insert_or_assign(user_id, Presence{connected, now + std::chrono::seconds(1)});
    return connected;
}

void Hub::forget_slot(const std::string& user_id) {
    std::lock_guard lock(users_mutex_);
    if (const auto it = user_slots_.find(user_id); it != user_slots_.end() && --it->second <= 0) {
        user_slots_.erase(it);
    }
}

void Hub::close_all_for_restart() {
    for (auto& shard : shards_) {
        shard.post([&shard] {
            // Subscribers detach later, on their own completion handlers, never from here.
            for (auto* subscriber : shard.all) {
                subscriber->close_for_restart();
            }
        });
    }
}

void Hub::subscribe(std::size_t shard, const std::string& channel, Subscriber* subscriber) {
    auto& list = shards_[shard].channels[channel];
    if (std::find(list.begin(), list.end(), subscriber) == list.end()) {
        list.push_back(subscriber);
        if (list.size() == 1) {
            std::lock_guard lock(users_mutex_);
            ++subscribed_shards_[channel];
        }
    }
}

void Hub::unsubscribe(std::size_t shard, const std::string& channel, Subscriber* subscriber) {
    auto& channels = shards_[shard].channels;
    const bool had = channels.contains(channel);
    remove_from(channels, channel, subscriber);
    if (had && !channels.contains(channel)) {
        std::lock_guard lock(users_mutex_);
        if (const auto it = subscribed_shards_.find(channel);
            it != subscribed_shards_.end() && --it->second <= 0) {
            subscribed_shards_.erase(it);
        }
    }
}

void Hub::follow_user(std::size_t shard, const std::string& user_id, Subscriber* subscriber) {
    auto& list = shards_[shard].users[user_id];
    if (std::find(list.begin(), list.end(), subscriber) != list.end()) {
        return;
    }
    list.push_back(subscriber);
    std::lock_guard lock(users_mutex_);
    ++account_followers_[user_id];
}

void Hub::unfollow_user(std::size_t shard, const std::string& user_id, Subscriber* subscriber) {
    auto& users = shards_[shard].users;
    const auto it = users.find(user_id);
    if (it == users.end() ||
        std::find(it->second.begin(), it->second.end(), subscriber) == it->second.end()) {
        return;
    }
    remove_from(users, user_id, subscriber);
    std::lock_guard lock(users_mutex_);
    if (const auto f = account_followers_.find(user_id);
        f != account_followers_.end() && --f->second <= 0) {
        account_followers_.erase(f);
    }
}

void Hub::attach(std::size_t shard, Subscriber* subscriber) {
    shards_[shard].all.insert(subscriber);
}

void Hub::detach(std::size_t shard, Subscriber* subscriber) {
    shards_[shard].all.erase(subscriber);
}

}  // namespace botcore::realtime
