// The TCP stream under a WebSocket session, and the only writer of its socket. Beast writes its
// own frames through it (the handshake answer, pings, pongs, the close); the session's messages
// arrive already framed (one frame per broadcast, shared by every recipient) and wait in the
// connection's bounded send queue. Whatever is pending when the socket is free goes out in one
// gathered write, so a connection that has fallen behind catches up with one system call for
// many frames, and the two sources never interleave within a frame. Beast's pings and pongs go
// ahead of the queued messages; once Beast has written a close frame, no message follows it.
// Network-internal header.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "net/websocket_settings.hpp"
#include "realtime/send_queue.hpp"

namespace botcore::net {

class GatherStream {
  public:
    using executor_type = boost::beast::tcp_stream::executor_type;
    using error_code = boost::system::error_code;
    using Clock = std::chrono::steady_clock;

    // Told when everything queued has been written. Called on the stream's executor.
    class Listener {
      public:
        virtual ~Listener() = default;
        virtual void drained() = 0;
    };

    GatherStream(boost::beast::tcp_stream&& next, std::size_t queue_capacity,
                 WebSocketCounters& counters)
        : next_(std::move(next)), queue_(queue_capacity), counters_(counters) {}

    // The session holding this stream: each write keeps it alive until the write ends.
    void bind(std::weak_ptr<void> owner, Listener* listener) {
        owner_ = std::move(owner);
        listener_ = listener;
    }

    // The opening handshake is over: from now on Beast writes only frames.
    void accepted() { accepted_ = true; }
    // Queues a framed message; it is written once the handlers already queued have run, with
    // whatever else is pending by then. False when the queue is full (the reader is too slow).
    // After a close frame, messages are dropped.
    bool push(realtime::Message message);
    bool writing() const { return writing_; }
    // A write failed: nothing more will be written.
    bool failed() const { return static_cast<bool>(failed_); }
    Clock::time_point write_started() const { return write_started_; }
    // Nothing is being written or waiting to be.
    bool idle() const { return !writing_ && queue_.empty() && control_.empty(); }
    // Bytes of Beast's frames not yet written.
    std::size_t control_backlog() const { return control_.size() + control_sending_.size(); }

    executor_type get_executor() noexcept { return next_.get_executor(); }
    boost::beast::tcp_stream& next_layer() noexcept { return next_; }
    const boost::beast::tcp_stream& next_layer() const noexcept { return next_; }

    template <class MutableBufferSequence, class ReadHandler>
    auto async_read_some(const MutableBufferSequence& buffers, ReadHandler&& handler) {
        return next_.async_read_some(buffers, std::forward<ReadHandler>(handler));
    }

    // Beast's frames: copied, put ahead of the queued messages and reported written at once
    // (the write itself follows). After a failed write, the failure.
    template <class ConstBufferSequence, class WriteHandler>
    auto async_write_some(const ConstBufferSequence& buffers, WriteHandler&& handler) {
        return boost::asio::async_initiate<WriteHandler, void(error_code, std::size_t)>(
            [this](auto done, const ConstBufferSequence& data) {
                const auto ec = failed_;
                const auto size = boost::asio::buffer_size(data);
                if (!ec) {
                    const auto old_size = control_.size();
                    control_.resize(old_size + size);
                    boost::asio::buffer_copy(boost::asio::buffer(control_.data() + old_size, size),
                                             data);
                    closed_ = closed_ || closes(old_size);
                    schedule_write();
                    if (control_.size() > kControlBacklog) {
                        // A peer that sends pings without reading the pongs: Beast waits for
                        // this write before it reads on, so the peer's sending stops here.
                        auto shared = std::make_shared<decltype(done)>(std::move(done));
                        held_.push_back([shared, size](error_code result) {
                            (*shared)(result, result ? 0 : size);
                        });
                        return;
                    }
                }
                boost::asio::post(get_executor(), boost::beast::bind_front_handler(
                                                      std::move(done), ec, ec ? 0 : size));
            },
            handler, buffers);
    }

    // Beast's last step of a closing handshake, once everything pending has been written.
    template <class TeardownHandler>
    friend void async_teardown(boost::beast::role_type role, GatherStream& stream,
                               TeardownHandler&& handler) {
        auto shared =
            std::make_shared<std::decay_t<TeardownHandler>>(std::forward<TeardownHandler>(handler));
        stream.when_written([role, &stream, shared] {
            async_teardown(role, stream.next_layer(), std::move(*shared));
        });
    }

  private:
    // Beast's frames waiting behind a blocked write beyond which Beast's next write waits too.
    static constexpr std::size_t kControlBacklog = 8192;

    // Whether Beast's bytes from control_[at] on are a close frame.
    bool closes(std::size_t at) const;
    void schedule_write();
    void write(std::shared_ptr<void> owner);
    void on_written(const std::shared_ptr<void>& owner, error_code ec);
    // Nothing is left to write, or nothing more can be.
    void written();
    // Runs next once nothing is pending (at once when nothing is).
    void when_written(std::function<void()> next);
    // Completes Beast's held writes: their bytes are on their way, or nothing more is written.
    void release_held();

    boost::beast::tcp_stream next_;
    realtime::SendQueue queue_;
    WebSocketCounters& counters_;
    std::weak_ptr<void> owner_;
    Listener* listener_ = nullptr;
    std::string control_;                             // Beast's frames waiting to be written
    std::string control_sending_;                     // ... and being written
    std::vector<realtime::Message> sending_;          // the messages being written
    std::vector<boost::asio::const_buffer> buffers_;  // ... and everything being written
    std::function<void()> after_written_;
    std::vector<std::function<void(error_code)>> held_;  // Beast's writes not yet completed
    error_code failed_;
    Clock::time_point write_started_{};
    bool writing_ = false;
    bool write_scheduled_ = false;
    bool accepted_ = false;
    bool closed_ = false;  // Beast has written a close frame
};

}  // namespace botcore::net
