// Which users' books a price reaches, per symbol, without looking at the others: each (user,
// symbol) registers the nearest level above the market that concerns it (a take-profit, a
// sell limit, a short's stop ...) and the nearest below; a tick takes exactly the levels it
// crossed. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "domain/decimal.hpp"

namespace botcore::engine {

class TriggerBook {
  public:
    // Replaces what the user has registered on symbol (nullopt: nothing on that side).
    void set(const std::string& user_id, const std::string& symbol,
             std::optional<domain::Decimal> rising, std::optional<domain::Decimal> falling);
    // The users with a rising level <= price or a falling level >= price on symbol; their
    // levels on that symbol are removed (the caller evaluates the book and registers again).
    std::vector<std::string> fired(const std::string& symbol, domain::Decimal price);
    std::size_t size() const;

  private:
    using Level = std::pair<domain::Decimal, std::string>;  // (level, user id)
    struct Symbol {
        std::set<Level> rising;                   // lowest first
        std::set<Level, std::greater<>> falling;  // highest first
        std::map<std::string,
                 std::pair<std::optional<domain::Decimal>, std::optional<domain::Decimal>>>
            by_user;  // user -> (rising, falling)
    };
    mutable std::mutex mutex_;
    std::map<std::string, Symbol, std::less<>> symbols_;
};

}  // namespace botcore::engine
