#include "net/gather_stream.hpp"

#include <span>

#include <boost/asio/write.hpp>

namespace botcore::net {

namespace asio = boost::asio;

namespace {
// Asio hands at most 64 buffers to one writev: Beast's frames and 63 messages.
constexpr std::size_t kMaxBuffers = 64;
}  // namespace

bool GatherStream::push(realtime::Message message) {
    if (closed_) {
        return true;
    }
    const auto pushed = queue_.push(std::move(message));
    if (pushed == realtime::SendQueue::Push::kQueued) {
        schedule_write();
    }
    return pushed != realtime::SendQueue::Push::kOverflow;
}

// Beast hands each frame over whole, from its first byte (a server's frames are unmasked). The
// messages still queued are not sent after it: the peer has asked to close, or the session
// closes only once its queue is written.
bool GatherStream::closes(std::size_t at) const {
    constexpr unsigned char kOpcodeMask = 0x0F;
    constexpr unsigned char kClose = 0x8;
    return accepted_ && at < control_.size() &&
           (static_cast<unsigned char>(control_[at]) & kOpcodeMask) == kClose;
}

// The write waits for the handlers already queued on this thread (the rest of a broadcast,
// the next ticks when the thread is behind), so that it takes all they add.
void GatherStream::schedule_write() {
    if (write_scheduled_ || writing_ || failed_) {
        return;
    }
    auto owner = owner_.lock();
    if (!owner) {
        return;
    }
    write_scheduled_ = true;
    asio::post(next_.get_executor(), [this, owner = std::move(owner)]() mutable {
        write_scheduled_ = false;
        write(std::move(owner));
    });
}

void GatherStream::write(std::shared_ptr<void> owner) {
    if (writing_) {
        return;
    }
    if (!control_.empty() && !failed_) {
        control_sending_.swap(control_);
        buffers_.push_back(asio::buffer(control_sending_));
        release_held();
    }
    if (closed_) {
        queue_.clear();
    }
    while (!failed_ && buffers_.size() < kMaxBuffers) {
        auto message = queue_.pop();
        if (!message) {
            break;
        }
        buffers_.push_back(asio::buffer((*message)->frame));
        sending_.push_back(std::move(*message));
    }
    if (buffers_.empty()) {
        written();
        return;
    }
    writing_ = true;
    write_started_ = Clock::now();
    counters_.socket_writes.fetch_add(1, std::memory_order_relaxed);
    counters_.messages_sent.fetch_add(sending_.size(), std::memory_order_relaxed);
    asio::async_write(
        next_.socket(), std::span<const asio::const_buffer>(buffers_),
        [this, owner = std::move(owner)](error_code ec, std::size_t) { on_written(owner, ec); });
}

void GatherStream::on_written(const std::shared_ptr<void>& owner, error_code ec) {
    writing_ = false;
    control_sending_.clear();
    sending_.clear();
    buffers_.clear();
    // A connection idles most of its life: what a burst needed is not kept.
    if (control_sending_.capacity() > 256) {
        control_sending_.shrink_to_fit();
    }
    if (sending_.capacity() > 8) {
        sending_.shrink_to_fit();
        buffers_.shrink_to_fit();
    }
    if (ec) {
        failed_ = ec;
        release_held();
    } else if (!control_.empty() || !queue_.empty()) {
        write(owner);  // what came in meanwhile
        return;
    }
    written();
}

void GatherStream::written() {
    if (after_written_) {
        std::exchange(after_written_, {})();
    }
    if (listener_ && !failed_) {
        listener_->drained();
    }
}

void GatherStream::when_written(std::function<void()> next) {
    if (!writing_ && !write_scheduled_) {
        next();
    } else {
        after_written_ = std::move(next);
    }
}

void GatherStream::release_held() {
    for (auto& complete : std::exchange(held_, {})) {
        asio::post(next_.get_executor(),
                   [complete = std::move(complete), ec = failed_] { complete(ec); });
    }
}

}  // namespace botcore::net
