#include "auth/revocation_list.hpp"

#include <mutex>

namespace botcore::auth {

void RevocationList::add(std::string jti, std::int64_t expires_ms, std::int64_t now_ms) {
    std::unique_lock lock(mutex_);
    expiry_by_jti_.insert_or_assign(std::move(jti), expires_ms);
    if (expiry_by_jti_.size() >= prune_at_) {
        prune(now_ms);
    }
}

bool RevocationList::contains(std::string_view jti) const {
    std::shared_lock lock(mutex_);
    return expiry_by_jti_.contains(std::string(jti));
}

std::size_t RevocationList::size() const {
    std::shared_lock lock(mutex_);
    return expiry_by_jti_.size();
}

void RevocationList::prune(std::int64_t now_ms) {
    std::erase_if(expiry_by_jti_, [now_ms](const auto& entry) { return entry.second <= now_ms; });
    // Amortized: the next prune waits until the list has doubled.
    prune_at_ = std::max<std::size_t>(1024, expiry_by_jti_.size() * 2);
}

}  // namespace botcore::auth
