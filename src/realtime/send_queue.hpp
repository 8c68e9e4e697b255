// A WebSocket connection's bounded outgoing queue. Messages are shared, immutable payloads
// (serialized and framed once per broadcast). A message with a coalescing key replaces a queued one
// with the same key, so a slow reader gets the newest price rather than every price (and never an
// update before a message made earlier that is never replaced); anything that
// would grow the queue past its capacity is refused and the connection is to be closed.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "realtime/websocket_frame.hpp"

namespace botcore::realtime {

struct Payload {
    std::string frame;  // the whole WebSocket frame: its header, then the text
    std::size_t header_size = 0;
    std::string coalesce_key;  // empty: never replaced (orders, trades, errors...)

    std::string_view text() const { return std::string_view(frame).substr(header_size); }
};
using Message = std::shared_ptr<const Payload>;

inline Message make_message(std::string_view text, std::string coalesce_key = {}) {
    auto frame = text_frame(text);
    const auto header_size = frame.size() - text.size();
    return std::make_shared<const Payload>(
        Payload{std::move(frame), header_size, std::move(coalesce_key)});
}

class SendQueue {
  public:
    enum class Push { kQueued, kReplaced, kOverflow };

    explicit SendQueue(std::size_t capacity) : capacity_(capacity) {}

    Push push(Message message);
    std::optional<Message> pop();
    void clear() {
        items_.clear();
        head_ = 0;
    }
    bool empty() const { return head_ == items_.size(); }
    std::size_t size() const { return items_.size() - head_; }
    // Messages replaced by a newer one with the same key since construction.
    std::size_t coalesced() const { return coalesced_; }

  private:
    std::size_t capacity_;
    // A vector drained from head_: an idle connection's queue owns no memory at all (a deque
    // allocates its first block up front), and it is reset whenever it empties.
    std::vector<Message> items_;
    std::size_t head_ = 0;
    std::size_t coalesced_ = 0;
};

}  // namespace botcore::realtime
