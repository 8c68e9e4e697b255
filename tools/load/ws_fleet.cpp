#include "ws_fleet.hpp"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <exception>

#include "message_scan.hpp"

namespace botcore::load {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

using Executor = asio::io_context::executor_type;
// A concrete executor type rather than any_io_executor: cheaper on every read.
using Socket = asio::basic_stream_socket<asio::ip::tcp, Executor>;

constexpr auto kRelaxed = std::memory_order_relaxed;
// Server messages are ~100 bytes; anything near this limit is a protocol fault.
constexpr std::size_t kReadMessageMax = 16 * 1024;
// A client masks what it sends through this buffer, 4 KiB by default; it only sends the
// subscribe message, so a small one saves memory on each of 10,000+ connections.
constexpr std::size_t kWriteBufferBytes = 512;

// What every connection of a fleet shares; it lives as long as the last of them.
struct FleetShared {
    FleetShared(FleetPlan fleet_plan, RunStats& run_stats)
        : plan(std::move(fleet_plan)), stats(run_stats) {}

    FleetPlan plan;
    RunStats& stats;
    std::atomic<std::size_t> settling{0};
    std::atomic<std::size_t> live{0};     // connection tasks not finished
    std::atomic<std::size_t> closing{0};  // close handshakes not finished
};

std::string describe(const beast::error_code& error) {
    return error == beast::error::timeout ? std::string("timeout") : error.message();
}

std::string subscribe_message(const FleetPlan& plan, std::size_t user) {
    rapidjson::StringBuffer out;
    rapidjson::Writer<rapidjson::StringBuffer> writer(out);
    writer.StartObject();
    writer.Key("type");
    writer.String("subscribe");
    writer.Key("channels");
    writer.StartArray();
    const auto per_user = static_cast<std::size_t>(plan.symbols_per_user);
    for (std::size_t j = 0; j < per_user; ++j) {
        writer.String("prices:" + plan.symbols[(user * per_user + j) % plan.symbols.size()]);
    }
    writer.EndArray();
    writer.EndObject();
    return {out.GetString(), out.GetSize()};
}

class WsConnection : public std::enable_shared_from_this<WsConnection> {
  public:
    WsConnection(Executor executor, std::shared_ptr<FleetShared> shared, std::size_t user)
        : shared_(std::move(shared)), ws_(executor), user_(user) {}

    Executor executor() { return ws_.get_executor(); }

    // g++ 12 miscompiles a co_await inside an if condition: the result goes to a local first.
    static awaitable<void> run(std::shared_ptr<WsConnection> self) {
        const bool opened = co_await self->open();
        if (opened) {
            co_await self->read_until_closed();
        }
    }

    // Runs on the connection's executor once run() ended, however it ended.
    void finish(std::exception_ptr failure) {
        if (failure) {
            try {
                std::rethrow_exception(failure);
            } catch (const std::exception& error) {
                shared_->stats.disconnects.add(fmt::format("exception: {}", error.what()));
            }
            healthy_.store(false);
        }
        settle();
        shared_->live.fetch_sub(1);
    }

    void close() {
        asio::post(ws_.get_executor(), [self = shared_from_this()] { self->start_close(); });
    }

    void abort() {
        asio::post(ws_.get_executor(), [self = shared_from_this()] {
            self->closing_ = true;
            beast::error_code ignored;
            self->ws_.next_layer().close(ignored);
        });
    }

    bool healthy() const { return healthy_.load(); }
    std::uint32_t measured() const { return measured_.load(kRelaxed); }

  private:
    // Connect, upgrade and subscribe; false after a failure, which is counted.
    awaitable<bool> open() {
        auto& stats = shared_->stats;
        const auto& plan = shared_->plan;
        started_ = Clock::now();
        stats.connect_attempts.fetch_add(1, kRelaxed);

        // Connect with a timeout, then read through the bare socket; from here on the
        // WebSocket's own timeouts apply.
        beast::error_code error;
        beast::basic_stream<asio::ip::tcp, Executor> connector(ws_.get_executor());
        connector.expires_after(plan.handshake_timeout);
        co_await connector.async_connect(plan.server.endpoints,
                                         asio::redirect_error(use_awaitable, error));
        if (error || closing_) {
            co_return failed("connect: " + describe(error));
        }
        ws_.next_layer() = connector.release_socket();
        ws_.next_layer().set_option(asio::ip::tcp::no_delay(true), error);

        ws_.set_option(websocket::stream_base::timeout{plan.handshake_timeout,
                                                       websocket::stream_base::none(), false});
        ws_.read_message_max(kReadMessageMax);
        ws_.write_buffer_bytes(kWriteBufferBytes);
        const bool with_token = !plan.tokens.empty();
        const std::string_view token = with_token ? plan.tokens[user_] : std::string_view{};
        ws_.set_option(websocket::stream_base::decorator([token](websocket::request_type& request) {
            request.set(http::field::user_agent, "botcore-load");
            if (!token.empty()) {
                request.set(http::field::authorization, fmt::format("Bearer {}", token));
            }
        }));

        websocket::response_type response;
        co_await ws_.async_handshake(response, plan.server.host_header,
                                     with_token ? "/ws" : "/ws?token=load",
                                     asio::redirect_error(use_awaitable, error));
        if (error == websocket::error::upgrade_declined) {
            co_return failed(fmt::format("http {}", response.result_int()));
        }
        if (error) {
            co_return failed("upgrade: " + describe(error));
        }
        stats.connected.fetch_add(1, kRelaxed);
        if (closing_) {
            // close_all() came while upgrading: close now that a close handshake is possible,
            // and let the reader see it through.
            closing_ = false;
            start_close();
            co_return true;
        }

        const auto subscribe = subscribe_message(plan, user_);
        co_await ws_.async_write(asio::buffer(subscribe),
                                 asio::redirect_error(use_awaitable, error));
        if (error) {
            co_return failed("subscribe: " + describe(error));
        }
        co_return true;
    }

    bool failed(std::string reason) {
        if (closing_) {
            shared_->stats.close_problems.add("closed before subscribed");
        } else {
            shared_->stats.connect_failures.add(reason);
        }
        return false;
    }

    awaitable<void> read_until_closed() {
        beast::error_code error;
        // Ends when the stream fails or closes: on close_all() at the latest.
        while (!error) {
            co_await ws_.async_read(buffer_, asio::redirect_error(use_awaitable, error));
            if (!error) {
                const auto data = buffer_.data();
                on_message({static_cast<const char*>(data.data()), data.size()});
                buffer_.consume(buffer_.size());
            }
        }
        auto& stats = shared_->stats;
        if (closing_) {
            // A pending read ends with operation_aborted once our close starts; the close
            // handshake's own handler tells how the close went.
            if (!close_started_) {
                stats.close_problems.add(describe(error));
            }
            co_return;
        }
        healthy_.store(false);
        if (error == websocket::error::closed) {
            const auto& reason = ws_.reason();
            stats.disconnects.add(reason.reason.empty()
                                      ? fmt::format("close {}", reason.code)
                                      : fmt::format("close {} {}", reason.code, reason.reason));
        } else {
            stats.disconnects.add(describe(error));
        }
    }

    void on_message(std::string_view text) {
        auto& stats = shared_->stats;
        stats.messages.fetch_add(1, kRelaxed);
        const auto message = scan_message(text);
        switch (message.kind) {
            case MessageKind::kPrice:
                if (stats.phase.load(kRelaxed) == Phase::kMeasuring) {
                    const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count();
                    stats.tick_latency.record_us(now_us - message.ts_ms * 1000);
                    stats.measured_messages.fetch_add(1, kRelaxed);
                    stats.measured_bytes.fetch_add(text.size(), kRelaxed);
                    measured_.fetch_add(1, kRelaxed);
                }
                break;
            case MessageKind::kSubscribed:
                if (!settled_) {
                    stats.subscribed.fetch_add(1, kRelaxed);
                    stats.connect_latency.record_us(
                        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() -
                                                                              started_)
                            .count());
                    healthy_.store(true);
                    settle();
                }
                break;
            case MessageKind::kError:
                stats.error_messages.fetch_add(1, kRelaxed);
                stats.error_codes.add(message.error_code);
                break;
            case MessageKind::kOther:
            case MessageKind::kMalformed:
                stats.other_messages.fetch_add(1, kRelaxed);
                break;
        }
    }

    void settle() {
        if (!settled_) {
            settled_ = true;
            shared_->settling.fetch_sub(1);
        }
    }

    void start_close() {
        if (closing_) {
            return;
        }
        closing_ = true;
        if (!ws_.is_open()) {
            // Still upgrading: give up on it (a connect still going ends at its timeout).
            beast::error_code ignored;
            ws_.next_layer().cancel(ignored);
            return;
        }
        close_started_ = true;
        shared_->closing.fetch_add(1);
        ws_.async_close(websocket::close_code::normal,
                        [self = shared_from_this()](beast::error_code error) {
                            auto& stats = self->shared_->stats;
                            if (error) {
                                stats.close_problems.add("close: " + describe(error));
                            } else {
                                stats.closed_cleanly.fetch_add(1, kRelaxed);
                            }
                            self->shared_->closing.fetch_sub(1);
                        });
    }

    std::shared_ptr<FleetShared> shared_;
    websocket::stream<Socket, false> ws_;  // false: no permessage-deflate, not even offered
    beast::flat_buffer buffer_;
    Clock::time_point started_;
    std::atomic<std::uint32_t> measured_{0};
    std::atomic<bool> healthy_{false};
    std::size_t user_;
    bool settled_ = false;  // these three are touched on the connection's thread only
    bool closing_ = false;
    bool close_started_ = false;
};

}  // namespace

struct WsFleet::Impl {
    Impl(std::vector<asio::io_context::executor_type> contexts, FleetPlan plan, RunStats& stats)
        : executors(std::move(contexts)),
          shared(std::make_shared<FleetShared>(std::move(plan), stats)) {}

    std::vector<asio::io_context::executor_type> executors;
    std::shared_ptr<FleetShared> shared;
    std::vector<std::shared_ptr<WsConnection>> connections;  // on the ramp's thread
};

WsFleet::WsFleet(std::vector<asio::io_context::executor_type> executors, FleetPlan plan,
                 RunStats& stats)
    : impl_(std::make_unique<Impl>(std::move(executors), std::move(plan), stats)) {}

WsFleet::~WsFleet() = default;

awaitable<void> WsFleet::ramp(Clock::time_point deadline) {
    auto& shared = *impl_->shared;
    const auto& plan = shared.plan;
    auto& stats = shared.stats;
    const auto executor = co_await asio::this_coro::executor;
    asio::steady_timer pacer(executor);
    const auto users = static_cast<std::size_t>(plan.users);
    impl_->connections.reserve(users);
    const std::chrono::duration<double> interval(1.0 / plan.ramp_per_second);
    const auto start = Clock::now();
    for (std::size_t user = 0; user < users; ++user) {
        const auto due = start + std::chrono::duration_cast<Clock::duration>(
                                     interval * static_cast<double>(user));
        if (due >= deadline || stats.stop_requested.load()) {
            break;
        }
        if (due > Clock::now()) {
            pacer.expires_at(due);
            beast::error_code ignored;
            co_await pacer.async_wait(asio::redirect_error(use_awaitable, ignored));
        }
        if (!plan.tokens.empty() && plan.tokens[user].empty()) {
            stats.connect_failures.add("no token: sign-in failed");
            continue;
        }
        auto connection = std::make_shared<WsConnection>(
            impl_->executors[user % impl_->executors.size()], impl_->shared, user);
        impl_->connections.push_back(connection);
        shared.live.fetch_add(1);
        shared.settling.fetch_add(1);
        asio::co_spawn(connection->executor(), WsConnection::run(connection),
                       [connection](std::exception_ptr failure) { connection->finish(failure); });
    }
}

std::size_t WsFleet::settling() const {
    return impl_->shared->settling.load();
}

std::size_t WsFleet::live() const {
    return impl_->shared->live.load() + impl_->shared->closing.load();
}

void WsFleet::close_all() {
    for (const auto& connection : impl_->connections) {
        connection->close();
    }
}

void WsFleet::abort_all() {
    for (const auto& connection : impl_->connections) {
        connection->abort();
    }
}

std::vector<std::uint32_t> WsFleet::measured_per_healthy_connection() const {
    std::vector<std::uint32_t> counts;
    counts.reserve(impl_->connections.size());
    for (const auto& connection : impl_->connections) {
        if (connection->healthy()) {
            counts.push_back(connection->measured());
        }
    }
    return counts;
}

}  // namespace botcore::load
