#include "reason_counts.hpp"

namespace botcore::load {

void ReasonCounts::add(std::string_view reason, std::uint64_t n) {
    const std::scoped_lock lock(mutex_);
    const auto found = counts_.find(reason);
    if (found != counts_.end()) {
        found->second += n;
    } else {
        counts_.emplace(std::string(reason), n);
    }
}

std::map<std::string, std::uint64_t> ReasonCounts::snapshot() const {
    const std::scoped_lock lock(mutex_);
    return {counts_.begin(), counts_.end()};
}

std::uint64_t ReasonCounts::total() const {
    const std::scoped_lock lock(mutex_);
    std::uint64_t sum = 0;
    for (const auto& [reason, n] : counts_) {
        sum += n;
    }
    return sum;
}

}  // namespace botcore::load
