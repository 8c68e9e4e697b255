// The live Binance client against a fake Binance: a WebSocket server on 127.0.0.1 that plays a
// script per connection (frames to send, then drop the connection or hold it open silently).
#include "net/binance_feed.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include "test_support.hpp"

namespace botcore::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;

constexpr std::int64_t kT0 = 1704067200000;  // 2024-01-01T00:00:00Z

struct Frame {
    bool text = true;
    std::string payload;
};

struct Script {
    std::vector<Frame> frames;
    bool drop = false;  // after the frames: drop the connection, or hold it open silently
};

class FakeBinance {
  public:
    // scripts[i] plays on the i-th connection; later connections are held open silently.
    explicit FakeBinance(std::vector<Script> scripts)
        : scripts_(std::move(scripts)), acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
        asio::co_spawn(ioc_, accept_loop(), asio::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~FakeBinance() {
        ioc_.stop();
        thread_.join();
    }
    FakeBinance(const FakeBinance&) = delete;
    FakeBinance& operator=(const FakeBinance&) = delete;

    std::string url() const {
        return "ws://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
    }
    int connections() const { return connections_.load(); }
    std::vector<std::string> targets() const {
        std::lock_guard lock(mutex_);
        return targets_;
    }

  private:
    awaitable<void> accept_loop() {
        for (;;) {
            boost::system::error_code ec;
            auto socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
            if (ec) {
                co_return;
            }
            const auto index = static_cast<std::size_t>(connections_++);
            asio::co_spawn(
                ioc_,
                serve(std::move(socket), index < scripts_.size() ? scripts_[index] : Script{}),
                asio::detached);
        }
    }

    awaitable<void> serve(tcp::socket socket, Script script) {
        boost::system::error_code ec;
        websocket::stream<beast::tcp_stream> ws(std::move(socket));
        beast::flat_buffer buffer;
        beast::http::request<beast::http::string_body> upgrade;
        co_await beast::http::async_read(ws.next_layer(), buffer, upgrade,
                                         asio::redirect_error(use_awaitable, ec));
        if (ec) {
            co_return;  // not HTTP (a TLS hello, say)
        }
        {
            std::lock_guard lock(mutex_);
            targets_.emplace_back(upgrade.target());
        }
        co_await ws.async_accept(upgrade, asio::redirect_error(use_awaitable, ec));
        if (ec) {
            co_return;
        }
        for (const auto& frame : script.frames) {
            ws.text(frame.text);
            co_await ws.async_write(asio::buffer(frame.payload),
                                    asio::redirect_error(use_awaitable, ec));
            if (ec) {
                co_return;
            }
        }
        if (script.drop) {
            auto& raw = beast::get_lowest_layer(ws).socket();
            raw.shutdown(tcp::socket::shutdown_both, ec);
            raw.close(ec);
            co_return;
        }
        for (;;) {
            co_await ws.async_read(buffer, asio::redirect_error(use_awaitable, ec));
            if (ec) {
                co_return;
            }
            buffer.clear();
        }
    }

    std::vector<Script> scripts_;
    asio::io_context ioc_;  // before the acceptor: outlives it and the connections
    tcp::acceptor acceptor_;
    std::atomic<int> connections_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> targets_;
    std::thread thread_;
};

// A kline event as Binance's combined stream sends it.
Frame kline(std::string_view symbol, std::int64_t open_ms, std::int64_t event_ms,
            std::string_view close, std::string_view volume) {
    std::string lower;
    for (const char c : symbol) {
        lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    const std::string s(symbol);
    const std::string c(close);
    return {true, R"({"stream":")" + lower + R"(@kline_1m","data":{"e":"kline","E":)" +
                      std::to_string(event_ms) + R"(,"s":")" + s + R"(","k":{"t":)" +
                      std::to_string(open_ms) + R"(,"T":)" + std::to_string(open_ms + 59'999) +
                      R"(,"s":")" + s + R"(","i":"1m","f":100,"L":200,"o":")" + c + R"(","c":")" +
                      c + R"(","h":")" + c + R"(","l":")" + c + R"(","v":")" + std::string(volume) +
                      R"(","n":7,"x":false,"q":"1000.5","V":"0.5","Q":"500.25","B":"0"}}})"};
}

std::string text(const ports::Tick& tick) {
    return tick.symbol + " " + tick.price.to_string() + " " + tick.volume.to_string() + " @" +
           std::to_string(tick.ts_ms);
}

class Recorder {
  public:
    ports::Feed::OnTick sink() {
        return [this](const ports::Tick& tick) {
            std::lock_guard lock(mutex_);
            ticks_.push_back(text(tick));
        };
    }
    std::vector<std::string> ticks() const {
        std::lock_guard lock(mutex_);
        return ticks_;
    }
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return ticks_.size();
    }

  private:
    mutable std::mutex mutex_;
    std::vector<std::string> ticks_;
};

using testing::wait_for;

BinanceFeedConfig config_for(std::string url) {
    BinanceFeedConfig config;
    config.url = std::move(url);
    config.symbols = {"BTCUSDT", "ETHUSDT"};
    config.interval = "1m";
    config.read_timeout = 10s;
    config.connect_timeout = 2s;
    config.backoff = {50ms, 200ms, 60s};
    return config;
}

std::unique_ptr<BinanceFeed> create(BinanceFeedConfig config) {
    auto feed = BinanceFeed::create(std::move(config));
    EXPECT_TRUE(feed.has_value()) << (feed ? "" : feed.error());
    return feed ? std::move(*feed) : nullptr;
}

// Stops the feed and checks it was prompt and that nothing is delivered afterwards.
void stop_promptly(BinanceFeed& feed, const Recorder& recorder) {
    const auto began = std::chrono::steady_clock::now();
    feed.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
    const auto delivered = recorder.size();
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(recorder.size(), delivered);
}

TEST(BinanceFeed, DeliversValidKlinesSkipsMalformedOnesAndReconnects) {
    const std::string t = " @";
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const auto tomorrow = now_ms - now_ms % 60'000 + 24 * 3'600'000;
    FakeBinance server({
        Script{
            {
                kline("BTCUSDT", kT0, kT0 + 1000, "42000.5", "1.5"),
                kline("ETHUSDT", kT0, kT0 + 1000, "2300.1", "10"),
                kline("BTCUSDT", kT0, kT0 + 3000, "42010", "2"),
                {true, R"({"stream":"btcusdt@kline_1m","data":{"e":"kline","E":)"},
                {true,
                 R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","p":"1"}})"},
                {false, kline("BTCUSDT", kT0, kT0 + 4000, "42015", "2.1").payload},
            },
            true},
        Script{{
                   kline("BTCUSDT", kT0, kT0 + 5000, "42020", "2.25"),
                   kline("BTCUSDT", kT0, kT0 + 5000, "42020", "2.25"),  // sent again
                   // Consistent in itself but a day ahead of the clock: not believed.
                   kline("BTCUSDT", tomorrow, tomorrow + 1000, "42025", "0.3"),
                   kline("BTCUSDT", kT0 + 60'000, kT0 + 61'000, "42030", "0.1"),
               },
               false},
    });
    std::vector<std::string> log;
    std::mutex log_mutex;
    auto config = config_for(server.url());
    config.on_log = [&](std::string_view line) {
        std::lock_guard lock(log_mutex);
        log.emplace_back(line);
    };
    auto feed = create(std::move(config));
    ASSERT_TRUE(feed);
    EXPECT_EQ(feed->health(), ports::FeedHealth::kStarting);

    Recorder recorder;
    const auto began = std::chrono::steady_clock::now();
    feed->start(recorder.sink());
    ASSERT_TRUE(wait_for([&] { return recorder.size() >= 5; })) << feed->last_error();
    EXPECT_LT(std::chrono::steady_clock::now() - began, 5s);

    EXPECT_EQ(recorder.ticks(), (std::vector<std::string>{
                                    "BTCUSDT 42000.5 1.5 @" + std::to_string(kT0 + 1000),
                                    "ETHUSDT 2300.1 10 @" + std::to_string(kT0 + 1000),
                                    "BTCUSDT 42010 0.5 @" + std::to_string(kT0 + 3000),
                                    // After the reconnect: still the same kline's volume.
                                    "BTCUSDT 42020 0.25 @" + std::to_string(kT0 + 5000),
                                    "BTCUSDT 42030 0.1 @" + std::to_string(kT0 + 61'000),
                                }));
    const auto stats = feed->stats();
    EXPECT_EQ(stats.messages, 10u);
    EXPECT_EQ(stats.malformed, 4u);
    EXPECT_EQ(stats.ticks, 5u);
    EXPECT_EQ(stats.connects, 2u);
    EXPECT_EQ(stats.reconnects, 1u);
    EXPECT_EQ(server.connections(), 2);
    EXPECT_EQ(feed->health(), ports::FeedHealth::kOk);
    EXPECT_EQ(server.targets().front(), "/stream?streams=btcusdt@kline_1m/ethusdt@kline_1m");

    stop_promptly(*feed, recorder);
    std::lock_guard lock(log_mutex);
    ASSERT_GE(log.size(), 3u);
    EXPECT_NE(log[0].find("connected"), std::string::npos) << log[0];
    EXPECT_NE(log[1].find("malformed"), std::string::npos) << log[1];
    EXPECT_NE(log[2].find("reconnecting"), std::string::npos) << log[2];
}

TEST(BinanceFeed, ReconnectsWhenTheStreamGoesSilent) {
    FakeBinance server({Script{{kline("BTCUSDT", kT0, kT0 + 1000, "42000", "1")}, false}});
    auto config = config_for(server.url());
    config.read_timeout = 300ms;
    auto feed = create(std::move(config));
    ASSERT_TRUE(feed);
    Recorder recorder;
    feed->start(recorder.sink());
    ASSERT_TRUE(wait_for([&] { return server.connections() >= 2; }));
    EXPECT_EQ(recorder.size(), 1u);
    EXPECT_NE(feed->last_error().find("no message for 300 ms"), std::string::npos)
        << feed->last_error();
    EXPECT_GE(feed->stats().reconnects, 1u);
    stop_promptly(*feed, recorder);
}

std::string unused_port_url() {
    asio::io_context ioc;
    tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    return "ws://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
}

TEST(BinanceFeed, IsDegradedWhileItCannotConnectAndStopsDuringTheBackoff) {
    auto config = config_for(unused_port_url());
    config.backoff = {30s, 60s, 60s};
    auto feed = create(std::move(config));
    ASSERT_TRUE(feed);
    Recorder recorder;
    feed->start(recorder.sink());
    ASSERT_TRUE(wait_for([&] { return feed->stats().reconnects >= 1; }));
    EXPECT_EQ(feed->health(), ports::FeedHealth::kDegraded);
    EXPECT_NE(feed->last_error().find("cannot connect"), std::string::npos) << feed->last_error();
    stop_promptly(*feed, recorder);
    EXPECT_EQ(recorder.size(), 0u);
}

TEST(BinanceFeed, WssFailsTheTlsHandshakeWithAPlainServerAndKeepsTrying) {
    FakeBinance server({});
    auto config = config_for("wss" + server.url().substr(2));
    config.backoff = {10ms, 20ms, 60s};
    auto feed = create(std::move(config));
    ASSERT_TRUE(feed);
    Recorder recorder;
    feed->start(recorder.sink());
    ASSERT_TRUE(wait_for([&] { return feed->stats().reconnects >= 2; }));
    EXPECT_NE(feed->last_error().find("TLS handshake"), std::string::npos) << feed->last_error();
    EXPECT_EQ(feed->stats().connects, 0u);
    stop_promptly(*feed, recorder);
}

TEST(BinanceFeed, RefusesAConfigurationItCannotServe) {
    const auto error = [](BinanceFeedConfig config) {
        auto feed = BinanceFeed::create(std::move(config));
        return feed ? std::string("<created>") : feed.error();
    };
    auto config = config_for("http://127.0.0.1:1");
    EXPECT_NE(error(config).find("not a ws:// or wss:// URL"), std::string::npos);
    config = config_for("ws://127.0.0.1:1");
    config.symbols.clear();
    EXPECT_NE(error(config).find("symbols"), std::string::npos);
    config = config_for("ws://127.0.0.1:1");
    config.interval = "7m";
    EXPECT_NE(error(config).find("interval"), std::string::npos);
    config = config_for("ws://127.0.0.1:1");
    config.read_timeout = 0ms;
    EXPECT_NE(error(config).find("timeouts"), std::string::npos);
    config = config_for("ws://127.0.0.1:1");
    config.backoff = {2s, 1s, 1s};
    EXPECT_NE(error(config).find("backoff"), std::string::npos);
}

TEST(BinanceFeed, StopsCleanlyWhetherOrNotItStarted) {
    auto idle = create(config_for("ws://127.0.0.1:1"));
    ASSERT_TRUE(idle);
    idle->stop();
    idle->stop();
    Recorder recorder;
    idle->start(recorder.sink());  // after stop(): does nothing
    EXPECT_EQ(idle->health(), ports::FeedHealth::kStarting);
}

}  // namespace
}  // namespace botcore::net
