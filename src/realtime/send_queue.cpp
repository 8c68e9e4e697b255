#include "realtime/send_queue.hpp"

#include <algorithm>

namespace botcore::realtime {

SendQueue::Push SendQueue::push(Message message) {
    if (!message->coalesce_key.empty()) {
        for (auto it = items_.begin() + static_cast<std::ptrdiff_t>(head_); it != items_.end();
             ++it) {
            if ((*it)->coalesce_key == message->coalesce_key) {
                ++coalesced_;
                // In its place, unless a message that is never replaced follows (a closed
                // candle after the open one): then last, so nothing comes before what was made
                // earlier.
                if (std::any_of(it + 1, items_.end(),
                                [](const Message& m) { return m->coalesce_key.empty(); })) {
                    items_.erase(it);
                    items_.push_back(std::move(message));
                } else {
                    *it = std::move(message);
                }
                return Push::kReplaced;
            }
        }
    }
    if (size() >= capacity_) {
        return Push::kOverflow;
    }
    items_.push_back(std::move(message));
    return Push::kQueued;
}

std::optional<Message> SendQueue::pop() {
    if (empty()) {
        return std::nullopt;
    }
    auto message = std::move(items_[head_++]);
    if (empty()) {
        items_.clear();
        head_ = 0;
    } else if (head_ >= 32 && head_ * 2 >= items_.size()) {
        // A queue that never quite empties: drop the consumed front so it stays bounded.
        items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
    return message;
}

}  // namespace botcore::realtime
