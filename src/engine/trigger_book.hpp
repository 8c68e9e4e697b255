// Which users' books a price reaches, per symbol, without looking at the others: each (user,
// symbol) registers the nearest level above the market that concerns it (a take-profit, a
// sell limit, a short's stop ...) and the nearest below (domain::Portfolio::trigger_band); a
// tick takes exactly the levels it crossed (domain::TriggerIndex). Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/decimal.hpp"
#include "domain/trigger_index.hpp"

namespace botcore::engine {

class TriggerBook {
  public:
    // Replaces what the user has registered on symbol (nullopt: nothing on that side).
    void set(const std::string& user_id, const std::string& symbol,
             std::optional<domain::Decimal> rising, std::optional<domain::Decimal> falling);
    // The users with a rising level <= price or a falling level >= price on symbol; their
    // levels on that symbol are removed (the caller evaluates the book and registers again).
    std::vector<std::string> fired(const std::string& symbol, domain::Decimal price);
    // (user, symbol) pairs registered.
    std::size_t size() const;
    // Whether the user has a level registered on symbol.
    bool watches(const std::string& user_id, const std::string& symbol) const;

  private:
    struct Registration {
        std::optional<domain::TriggerHandle> rising;
        std::optional<domain::TriggerHandle> falling;
    };
    domain::TriggerKey user_key(const std::string& user_id);  // lock held
    domain::SymbolId symbol_id(const std::string& symbol);    // lock held
    void drop(std::map<std::pair<domain::TriggerKey, domain::SymbolId>, Registration>::iterator it);

    mutable std::mutex mutex_;
    domain::TriggerIndex index_;
    std::vector<std::string> users_;  // key -> user id
    std::unordered_map<std::string, domain::TriggerKey> user_keys_;
    std::unordered_map<std::string, domain::SymbolId> symbol_ids_;
    std::map<std::pair<domain::TriggerKey, domain::SymbolId>, Registration> registrations_;
    std::vector<domain::FiredTrigger> fired_;  // reused between ticks
};

}  // namespace botcore::engine
