// Access tokens revoked before their expiry, checked on every authenticated request. Held in
// memory (loaded from the store at start, written through on logout); entries leave when the
// token would have expired anyway.
#pragma once

#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace botcore::auth {

class RevocationList {
  public:
    void add(std::string jti, std::int64_t expires_ms, std::int64_t now_ms);
    bool contains(std::string_view jti) const;
    std::size_t size() const;

  private:
    void prune(std::int64_t now_ms);  // lock held

    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, std::int64_t> expiry_by_jti_;
    std::size_t prune_at_ = 1024;
};

}  // namespace botcore::auth
