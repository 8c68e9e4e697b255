#include "realtime/send_queue.hpp"

namespace botcore::realtime {

SendQueue::Push SendQueue::push(Message message) {
    if (!message->coalesce_key.empty()) {
        for (auto& queued : queue_) {
            if (queued->coalesce_key == message->coalesce_key) {
                queued = std::move(message);
                ++coalesced_;
                return Push::kReplaced;
            }
        }
    }
    if (queue_.size() >= capacity_) {
        return Push::kOverflow;
    }
    queue_.push_back(std::move(message));
    return Push::kQueued;
}

std::optional<Message> SendQueue::pop() {
    if (queue_.empty()) {
        return std::nullopt;
    }
    auto message = std::move(queue_.front());
    queue_.pop_front();
    return message;
}

}  // namespace botcore::realtime
