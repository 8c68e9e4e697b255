#include "engine/trigger_book.hpp"

#include <algorithm>

namespace botcore::engine {

void TriggerBook::set(const std::string& user_id, const std::string& symbol,
                      std::optional<domain::Decimal> rising,
                      std::optional<domain::Decimal> falling) {
    std::lock_guard lock(mutex_);
    auto& book = symbols_[symbol];
    if (const auto it = book.by_user.find(user_id); it != book.by_user.end()) {
        if (it->second.first) {
            book.rising.erase({*it->second.first, user_id});
        }
        if (it->second.second) {
            book.falling.erase({*it->second.second, user_id});
        }
        book.by_user.erase(it);
    }
    if (!rising && !falling) {
        return;
    }
    if (rising) {
        book.rising.emplace(*rising, user_id);
    }
    if (falling) {
        book.falling.emplace(*falling, user_id);
    }
    book.by_user.emplace(user_id, std::pair{rising, falling});
}

std::vector<std::string> TriggerBook::fired(const std::string& symbol, domain::Decimal price) {
    std::vector<std::string> users;
    std::lock_guard lock(mutex_);
    const auto found = symbols_.find(symbol);
    if (found == symbols_.end()) {
        return users;
    }
    auto& book = found->second;
    // Only the fronts are compared when nothing fires: O(1), whatever the number of levels.
    while (!book.rising.empty() && book.rising.begin()->first <= price) {
        users.push_back(book.rising.begin()->second);
        book.rising.erase(book.rising.begin());
    }
    while (!book.falling.empty() && book.falling.begin()->first >= price) {
        users.push_back(book.falling.begin()->second);
        book.falling.erase(book.falling.begin());
    }
    std::sort(users.begin(), users.end());
    users.erase(std::unique(users.begin(), users.end()), users.end());
    for (const auto& user : users) {
        // The other side of a fired user goes too: the evaluation registers both again.
        if (const auto it = book.by_user.find(user); it != book.by_user.end()) {
            if (it->second.first) {
                book.rising.erase({*it->second.first, user});
            }
            if (it->second.second) {
                book.falling.erase({*it->second.second, user});
            }
            book.by_user.erase(it);
        }
    }
    return users;
}

std::size_t TriggerBook::size() const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& [symbol, book] : symbols_) {
        n += book.by_user.size();
    }
    return n;
}

}  // namespace botcore::engine
