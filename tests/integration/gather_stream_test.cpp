// GatherStream under a real Beast WebSocket stream on a loopback socket: a reader that keeps the
// server's writes blocked still gets every queued frame whole and in order, Beast's own frames
// interleave only between whole frames, and the backlog goes out in few writes.
#include "net/gather_stream.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace botcore::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

constexpr int kMessages = 2000;

std::string text_of(int i) {
    return fmt::format(R"({{"n":{},"pad":"{}"}})", i, std::string(2000, 'a' + i % 26));
}

struct Server : GatherStream::Listener {
    Server(tcp::socket socket, WebSocketCounters& counters)
        : ws(beast::tcp_stream(std::move(socket)), kMessages + 10, counters) {}
    void drained() override { ++drains; }

    websocket::stream<GatherStream> ws;
    int drains = 0;
};

asio::awaitable<void> pause(std::chrono::milliseconds how_long) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(how_long);
    co_await timer.async_wait(use_awaitable);
}

// Accepts one connection and completes the handshake over a GatherStream whose socket has a
// small send buffer, so its writes block as soon as the reader stops reading.
asio::awaitable<std::shared_ptr<Server>> accept_server(tcp::acceptor& acceptor,
                                                       WebSocketCounters& counters) {
    auto socket = co_await acceptor.async_accept(use_awaitable);
    socket.set_option(asio::socket_base::send_buffer_size(8192));
    auto server = std::make_shared<Server>(std::move(socket), counters);
    auto& stream = server->ws.next_layer();
    stream.bind(server, server.get());
    co_await server->ws.async_accept(use_awaitable);
    stream.accepted();
    co_return server;
}

// A client with a small receive buffer, set before connecting (the window is negotiated then).
asio::awaitable<void> connect_client(websocket::stream<beast::tcp_stream>& client,
                                     tcp::endpoint server) {
    auto& socket = client.next_layer().socket();
    socket.open(tcp::v4());
    socket.set_option(asio::socket_base::receive_buffer_size(4096));
    co_await client.next_layer().async_connect(server, use_awaitable);
    co_await client.async_handshake("127.0.0.1", "/", use_awaitable);
}

TEST(GatherStream, ABacklogBehindABlockedWriteArrivesWholeInOrderAmongBeastsFrames) {
    asio::io_context io;
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    WebSocketCounters counters;
    std::shared_ptr<Server> server;
    int refused = 0;
    bool server_closed = false;

    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            server = co_await accept_server(acceptor, counters);
            auto& stream = server->ws.next_layer();
            for (int i = 0; i < kMessages; ++i) {
                refused += !stream.push(realtime::make_message(text_of(i)));
                if (i == kMessages / 2) {
                    server->ws.async_ping("half", [](boost::system::error_code) {});
                }
                if (i % 100 == 0) {
                    co_await pause(std::chrono::milliseconds(1));  // let writes start and block
                }
            }
            for (int waited = 0; !stream.idle() && waited < 10'000; ++waited) {
                co_await pause(std::chrono::milliseconds(1));
            }
            boost::system::error_code ec;
            co_await server->ws.async_close(websocket::close_code::normal,
                                            asio::redirect_error(use_awaitable, ec));
            server_closed = !ec;
        },
        asio::detached);

    std::vector<std::string> received;
    int pings = 0;
    std::optional<websocket::close_reason> close;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            websocket::stream<beast::tcp_stream> client(io);
            co_await connect_client(client, acceptor.local_endpoint());
            client.control_callback([&pings](websocket::frame_type kind, beast::string_view data) {
                pings += kind == websocket::frame_type::ping && data == "half";
            });
            co_await pause(
                std::chrono::milliseconds(300));  // not reading: the server's writes block
            beast::flat_buffer buffer;
            for (;;) {
                boost::system::error_code ec;
                co_await client.async_read(buffer, asio::redirect_error(use_awaitable, ec));
                if (ec) {
                    close = client.reason();
                    break;
                }
                received.push_back(beast::buffers_to_string(buffer.data()));
                buffer.consume(buffer.size());
            }
        },
        asio::detached);

    io.run_for(std::chrono::seconds(30));
    EXPECT_EQ(refused, 0);
    ASSERT_EQ(received.size(), static_cast<std::size_t>(kMessages));
    for (int i = 0; i < kMessages; ++i) {
        ASSERT_EQ(received[static_cast<std::size_t>(i)], text_of(i)) << "message " << i;
    }
    EXPECT_EQ(pings, 1);
    ASSERT_TRUE(close.has_value());
    EXPECT_EQ(close->code, websocket::close_code::normal);
    EXPECT_TRUE(server_closed);
    EXPECT_EQ(counters.messages_sent.load(), static_cast<std::uint64_t>(kMessages));
    // The backlog went out gathered, far fewer writes than messages.
    EXPECT_LT(counters.socket_writes.load(), static_cast<std::uint64_t>(kMessages / 10));
    EXPECT_GE(server->drains, 1);
}

// The client closes while a backlog waits: the close answer is the last frame it gets, and what
// was still queued is dropped rather than sent after it.
TEST(GatherStream, NoMessageFollowsTheCloseFrame) {
    constexpr int kBacklog = 500;
    asio::io_context io;
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    WebSocketCounters counters;
    std::shared_ptr<Server> server;
    boost::system::error_code server_read;
    bool pushed_after_close = false;

    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            server = co_await accept_server(acceptor, counters);
            auto& stream = server->ws.next_layer();
            for (int i = 0; i < kBacklog; ++i) {
                stream.push(realtime::make_message(text_of(i)));
            }
            beast::flat_buffer buffer;
            co_await server->ws.async_read(buffer,
                                           asio::redirect_error(use_awaitable, server_read));
            pushed_after_close = stream.push(realtime::make_message("late"));
        },
        asio::detached);

    boost::system::error_code client_close;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            websocket::stream<beast::tcp_stream> client(io);
            co_await connect_client(client, acceptor.local_endpoint());
            co_await pause(std::chrono::milliseconds(100));  // the server's writes block
            co_await client.async_close(websocket::close_code::normal,
                                        asio::redirect_error(use_awaitable, client_close));
        },
        asio::detached);

    io.run_for(std::chrono::seconds(30));

    EXPECT_FALSE(client_close) << client_close.message();  // the server's close answer came
    EXPECT_EQ(server_read, websocket::error::closed);
    EXPECT_TRUE(pushed_after_close);  // dropped quietly: not a slow reader
    EXPECT_TRUE(server->ws.next_layer().idle());
    // What was written before the close answer only: the rest of the backlog was dropped.
    EXPECT_LT(counters.messages_sent.load(), static_cast<std::uint64_t>(kBacklog / 2));
}

// A peer that sends pings and never reads: the pongs pile up behind the blocked write only up
// to a bound, because Beast stops reading until its pong is on its way; the peer's sending stops.
TEST(GatherStream, PingsFromAPeerThatDoesNotReadStopBeingRead) {
    constexpr std::size_t kOffered = 32u << 20;
    asio::io_context io;
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    WebSocketCounters counters;
    std::shared_ptr<Server> server;
    int pings = 0;

    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            server = co_await accept_server(acceptor, counters);
            server->ws.control_callback([&pings](websocket::frame_type kind, beast::string_view) {
                pings += kind == websocket::frame_type::ping;
            });
            beast::flat_buffer buffer;
            boost::system::error_code ec;
            co_await server->ws.async_read(buffer, asio::redirect_error(use_awaitable, ec));
        },
        asio::detached);

    std::size_t sent = 0;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            websocket::stream<beast::tcp_stream> client(io);
            co_await connect_client(client, acceptor.local_endpoint());
            // Masked pings with a 125-byte payload (mask key zero), written straight to the
            // socket, a thousand at a time.
            std::string ping = {'\x89', static_cast<char>(0x80 | 125), 0, 0, 0, 0};
            ping.append(125, 'p');
            std::string chunk;
            for (int i = 0; i < 1000; ++i) {
                chunk += ping;
            }
            auto& socket = client.next_layer().socket();
            while (sent < kOffered) {
                boost::system::error_code ec;
                sent += co_await asio::async_write(socket, asio::buffer(chunk),
                                                   asio::redirect_error(use_awaitable, ec));
                if (ec) {
                    break;
                }
            }
        },
        asio::detached);

    io.run_for(std::chrono::seconds(3));

    ASSERT_TRUE(server);
    EXPECT_GT(pings, 0);
    EXPECT_LT(server->ws.next_layer().control_backlog(), std::size_t{64} << 10);
    EXPECT_LT(sent, kOffered);
}

}  // namespace
}  // namespace botcore::net
