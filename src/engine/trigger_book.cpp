#include "engine/trigger_book.hpp"

#include <algorithm>

namespace botcore::engine {

domain::TriggerKey TriggerBook::user_key(const std::string& user_id) {
    const auto [it, added] = user_keys_.try_emplace(user_id, users_.size());
    if (added) {
        users_.push_back(user_id);
    }
    return it->second;
}

domain::SymbolId TriggerBook::symbol_id(const std::string& symbol) {
    return symbol_ids_.try_emplace(symbol, static_cast<domain::SymbolId>(symbol_ids_.size()))
        .first->second;
}

void TriggerBook::drop(
    std::map<std::pair<domain::TriggerKey, domain::SymbolId>, Registration>::iterator it) {
    if (it->second.rising) {
        index_.remove(*it->second.rising);
    }
    if (it->second.falling) {
        index_.remove(*it->second.falling);
    }
    registrations_.erase(it);
}

void TriggerBook::set(const std::string& user_id, const std::string& symbol,
                      std::optional<domain::Decimal> rising,
                      std::optional<domain::Decimal> falling) {
    std::lock_guard lock(mutex_);
    const auto key = user_key(user_id);
    const auto id = symbol_id(symbol);
    if (const auto it = registrations_.find({key, id}); it != registrations_.end()) {
        drop(it);
    }
    if (!rising && !falling) {
        return;
    }
    Registration registration;
    if (rising) {
        registration.rising = index_.add(key, id, domain::Crossing::kRising, *rising);
    }
    if (falling) {
        registration.falling = index_.add(key, id, domain::Crossing::kFalling, *falling);
    }
    registrations_.emplace(std::pair{key, id}, registration);
}

std::vector<std::string> TriggerBook::fired(const std::string& symbol, domain::Decimal price) {
    std::vector<std::string> users;
    std::lock_guard lock(mutex_);
    const auto found = symbol_ids_.find(symbol);
    if (found == symbol_ids_.end()) {
        return users;
    }
    fired_.clear();
    if (index_.tick(found->second, price, fired_) == 0) {
        return users;
    }
    std::vector<domain::TriggerKey> keys;
    for (const auto& trigger : fired_) {
        keys.push_back(trigger.key);
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (const auto key : keys) {
        // The other side of a fired user goes too: the evaluation registers both again.
        if (const auto it = registrations_.find({key, found->second}); it != registrations_.end()) {
            drop(it);
        }
        users.push_back(users_[key]);
    }
    return users;
}

bool TriggerBook::watches(const std::string& user_id, const std::string& symbol) const {
    std::lock_guard lock(mutex_);
    const auto user = user_keys_.find(user_id);
    const auto id = symbol_ids_.find(symbol);
    return user != user_keys_.end() && id != symbol_ids_.end() &&
           registrations_.contains({user->second, id->second});
}

std::size_t TriggerBook::size() const {
    std::lock_guard lock(mutex_);
    return registrations_.size();
}

}  // namespace botcore::engine
