#include "net/binance_feed.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "market/binance_kline.hpp"
#include "net/ws_url.hpp"

namespace botcore::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

namespace {

// A kline message is well under 1 KiB; anything this big is not one.
constexpr std::size_t kMaxMessageBytes = 1 << 20;
// An event time this far ahead of this machine's clock is not believed: it would make every
// later update of the symbol look late.
constexpr std::int64_t kMaxAheadMs = 5 * 60'000;

std::int64_t wall_ms() {
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

struct BinanceFeed::Impl {
    Impl(BinanceFeedConfig config_in, WsUrl url_in, std::string target_in)
        : config(std::move(config_in)),
          url(std::move(url_in)),
          target(std::move(target_in)),
          backoff(config.backoff) {}

    awaitable<void> run();
    // One connection from resolving to its end; returns why it ended.
    awaitable<std::string> connect_and_read(std::optional<SteadyTime>& opened_at);
    template <bool kTls, class Ws>
    awaitable<std::string> session(Ws& ws, const tcp::resolver::results_type& endpoints,
                                   std::optional<SteadyTime>& opened_at);
    void deliver(std::string_view payload, bool text, bool& logged_malformed);
    void log(std::string_view message) const;
    void set_error(std::string error);

    const BinanceFeedConfig config;
    const WsUrl url;
    const std::string target;
    market::Backoff backoff;
    market::TickFromKlines klines;
    std::mt19937_64 random{std::random_device{}()};
    OnTick on_tick;
    std::optional<asio::ssl::context> tls;

    std::atomic<ports::FeedHealth> health{ports::FeedHealth::kStarting};
    std::atomic<std::uint64_t> messages{0};
    std::atomic<std::uint64_t> malformed{0};
    std::atomic<std::uint64_t> ticks{0};
    std::atomic<std::uint64_t> connects{0};
    std::atomic<std::uint64_t> reconnects{0};

    mutable std::mutex mutex;  // guards the members below
    bool started = false;
    bool stopped = false;
    std::string last_error;
    std::thread thread;

    // Declared last so it is destroyed first: it owns the suspended coroutines, which refer to
    // the members above.
    asio::io_context ioc{1};
};

awaitable<void> BinanceFeed::Impl::run() {
    asio::steady_timer pause(ioc);
    for (;;) {
        std::optional<SteadyTime> opened_at;
        std::string why;
        try {
            why = co_await connect_and_read(opened_at);
        } catch (const std::exception& e) {
            why = std::string("unexpected error: ") + e.what();
        } catch (...) {
            why = "unexpected error";
        }
        const auto uptime = opened_at ? std::chrono::duration_cast<milliseconds>(
                                            std::chrono::steady_clock::now() - *opened_at)
                                      : milliseconds(0);
        health = ports::FeedHealth::kDegraded;
        const auto delay = market::pick_delay(backoff.after_disconnect(uptime), random());
        ++reconnects;
        log("binance feed: " + why + "; reconnecting in " + std::to_string(delay.count()) + " ms");
        set_error(std::move(why));
        pause.expires_after(delay);
        boost::system::error_code ec;
        co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
    }
}

awaitable<std::string> BinanceFeed::Impl::connect_and_read(std::optional<SteadyTime>& opened_at) {
    boost::system::error_code ec;
    tcp::resolver resolver(ioc);
    const auto endpoints = co_await resolver.async_resolve(url.host, url.port,
                                                           asio::redirect_error(use_awaitable, ec));
    if (ec) {
        co_return "cannot resolve " + url.host + ": " + ec.message();
    }
    if (url.tls) {
        websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(ioc, *tls);
        co_return co_await session<true>(ws, endpoints, opened_at);
    }
    websocket::stream<beast::tcp_stream> ws(ioc);
    co_return co_await session<false>(ws, endpoints, opened_at);
}

template <bool kTls, class Ws>
awaitable<std::string> BinanceFeed::Impl::session(Ws& ws,
                                                  const tcp::resolver::results_type& endpoints,
                                                  std::optional<SteadyTime>& opened_at) {
    boost::system::error_code ec;
    auto& socket = beast::get_lowest_layer(ws);
    socket.expires_after(config.connect_timeout);
    co_await socket.async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
    if (ec) {
        co_return "cannot connect to " + url.host + ":" + url.port + ": " + ec.message();
    }
    if constexpr (kTls) {
        auto& stream = ws.next_layer();
        // Servers behind a shared address pick the certificate by the name (SNI).
        if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
            co_return std::string("cannot set the TLS server name");
        }
        stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
        socket.expires_after(config.connect_timeout);
        co_await stream.async_handshake(asio::ssl::stream_base::client,
                                        asio::redirect_error(use_awaitable, ec));
        if (ec) {
            co_return "TLS handshake with " + url.host + " failed: " + ec.message();
        }
    }
    ws.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
        request.set(beast::http::field::user_agent, "botcore");
    }));
    ws.read_message_max(kMaxMessageBytes);
    socket.expires_after(config.connect_timeout);
    co_await ws.async_handshake(url.host_header(), url.path + target,
                                asio::redirect_error(use_awaitable, ec));
    if (ec) {
        co_return "WebSocket handshake with " + url.host + " failed: " + ec.message();
    }
    opened_at = std::chrono::steady_clock::now();
    ++connects;
    log("binance feed: connected to " + url.host + ":" + url.port);

    bool logged_malformed = false;
    beast::flat_buffer buffer;
    for (;;) {
        // The deadline covers the whole message, so pings alone do not keep a silent stream.
        socket.expires_after(config.read_timeout);
        co_await ws.async_read(buffer, asio::redirect_error(use_awaitable, ec));
        if (ec == beast::error::timeout) {
            co_return "no message for " + std::to_string(config.read_timeout.count()) + " ms";
        }
        if (ec == websocket::error::closed) {
            co_return "closed by the server (" + std::string(ws.reason().reason) + ")";
        }
        if (ec) {
            co_return "connection lost: " + ec.message();
        }
        const auto data = buffer.cdata();
        deliver(std::string_view(static_cast<const char*>(data.data()), data.size()), ws.got_text(),
                logged_malformed);
        buffer.clear();
    }
}

void BinanceFeed::Impl::deliver(std::string_view payload, bool text, bool& logged_malformed) {
    ++messages;
    std::string problem;
    std::optional<market::KlineEvent> event;
    if (!text) {
        problem = "a binary frame";
    } else if (auto parsed = market::parse_kline_message(payload); !parsed) {
        const auto& error = parsed.error();
        problem = error.field.empty() ? error.message : error.field + ": " + error.message;
    } else if (std::find(config.symbols.begin(), config.symbols.end(), parsed->kline.symbol) ==
               config.symbols.end()) {
        problem = "a kline of " + parsed->kline.symbol + ", which is not subscribed";
    } else if (parsed->event_ms > wall_ms() + kMaxAheadMs) {
        problem = "an event time ahead of this machine's clock";
    } else {
        event = std::move(*parsed);
    }
    if (!event) {
        ++malformed;
        problem = "skipped a malformed message: " + problem;
        if (!logged_malformed) {
            logged_malformed = true;
            log("binance feed: " + problem + " (further ones on this connection not logged)");
        }
        set_error(std::move(problem));
        return;
    }
    health = ports::FeedHealth::kOk;
    // A late update of an older kline is no news: the price has moved on since.
    const auto tick = klines.on_update(event->kline, event->event_ms);
    if (!tick) {
        return;
    }
    try {
        on_tick(*tick);
    } catch (const std::exception& e) {
        set_error(std::string("the tick consumer threw: ") + e.what());
    } catch (...) {
        set_error("the tick consumer threw");
    }
    ++ticks;
}

void BinanceFeed::Impl::log(std::string_view message) const {
    if (!config.on_log) {
        return;
    }
    try {
        config.on_log(message);
    } catch (...) {
        // A broken logger must not take the feed down with it.
    }
}

void BinanceFeed::Impl::set_error(std::string error) {
    std::lock_guard lock(mutex);
    last_error = std::move(error);
}

std::expected<std::unique_ptr<BinanceFeed>, std::string> BinanceFeed::create(
    BinanceFeedConfig config) {
    auto url = parse_ws_url(config.url);
    if (!url) {
        return std::unexpected("binance url " + url.error());
    }
    auto target = market::kline_stream_path(config.symbols, config.interval);
    if (!target) {
        return std::unexpected("binance " + target.error().field + ": " + target.error().message);
    }
    if (config.read_timeout <= milliseconds(0) || config.connect_timeout <= milliseconds(0)) {
        return std::unexpected(std::string("binance timeouts must be positive"));
    }
    if (config.backoff.base < milliseconds(0) || config.backoff.cap < config.backoff.base) {
        return std::unexpected(std::string("binance backoff: need 0 <= base <= cap"));
    }
    auto impl = std::make_unique<Impl>(std::move(config), std::move(*url), std::move(*target));
    if (impl->url.tls) {
        auto& context = impl->tls.emplace(asio::ssl::context::tls_client);
        boost::system::error_code ec;
        context.set_default_verify_paths(ec);
        if (ec) {
            return std::unexpected("cannot load the system's CA certificates: " + ec.message());
        }
        context.set_verify_mode(asio::ssl::verify_peer, ec);
        if (ec) {
            return std::unexpected("cannot enable certificate verification: " + ec.message());
        }
    }
    return std::make_unique<BinanceFeed>(Key{}, std::move(impl));
}

BinanceFeed::BinanceFeed(Key, std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

BinanceFeed::~BinanceFeed() {
    stop();
}

void BinanceFeed::start(OnTick on_tick, OnTime /*on_time*/) {
    auto& impl = *impl_;
    std::lock_guard lock(impl.mutex);
    if (impl.started || impl.stopped) {
        return;
    }
    impl.started = true;
    impl.on_tick = std::move(on_tick);
    asio::co_spawn(impl.ioc, impl.run(), [&impl](const std::exception_ptr& error) {
        // run() catches everything per connection; this is the last line of defence.
        if (error) {
            impl.health = ports::FeedHealth::kDegraded;
            impl.log("binance feed: stopped by an unexpected error");
        }
    });
    impl.thread = std::thread([&impl] {
        for (;;) {
            try {
                impl.ioc.run();
                return;
            } catch (...) {
                // A handler threw; the loop keeps the thread (and the feed) alive.
            }
        }
    });
}

void BinanceFeed::stop() {
    auto& impl = *impl_;
    {
        std::lock_guard lock(impl.mutex);
        impl.stopped = true;
    }
    // The run loop returns after the handler in progress; suspended work is destroyed with
    // the io_context.
    impl.ioc.stop();
    if (impl.thread.joinable() && impl.thread.get_id() != std::this_thread::get_id()) {
        impl.thread.join();
    }
}

ports::FeedHealth BinanceFeed::health() const {
    return impl_->health.load();
}

BinanceFeedStats BinanceFeed::stats() const {
    const auto& impl = *impl_;
    return {impl.messages.load(), impl.malformed.load(), impl.ticks.load(), impl.connects.load(),
            impl.reconnects.load()};
}

std::string BinanceFeed::last_error() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->last_error;
}

}  // namespace botcore::net
