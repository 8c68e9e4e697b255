#include "net/websocket_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <vector>

#include "api/api_error.hpp"
#include "auth/bearer.hpp"
#include "domain/symbol.hpp"
#include "net/gather_stream.hpp"
#include "realtime/channel.hpp"
#include "realtime/client_message.hpp"
#include "realtime/rate_limiter.hpp"
#include "realtime/server_messages.hpp"

namespace botcore::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

namespace {

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::optional<std::string> bearer_token(const api::HttpRequest& request) {
    if (const auto header = request.header("authorization")) {
        // Present but not a bearer token: an empty token, refused below.
        return std::string(auth::bearer_token(*header).value_or(""));
    }
    return request.query_param("token");
}

class WebSocketSession : public std::enable_shared_from_this<WebSocketSession>,
                         public realtime::Subscriber,
                         private GatherStream::Listener {
  public:
    // slot: the user's connection slot when the upgrade was authenticated (with token), else
    // none yet.
    WebSocketSession(beast::tcp_stream&& stream, WebSocketContext& context, std::size_t shard,
                     std::optional<realtime::UserSlot> slot, TokenIdentity token)
        : ws_(std::move(stream), context.settings.send_queue_messages, context.counters),
          context_(context),
          settings_(context.settings),
          shard_(shard),
          slot_(std::move(slot)),
          user_(slot_ ? std::optional(slot_->user_id) : std::nullopt),
          token_jti_(std::move(token.jti)),
          token_expires_s_(token.expires_s),
          limiter_(settings_.client_messages_per_minute, 60'000),
          timer_(ws_.get_executor()) {}

    static awaitable<void> run(std::shared_ptr<WebSocketSession> self, BeastRequest request);

    void deliver(const realtime::Message& message) override;
    void close_for_restart() override {
        close_with(websocket::close_code::service_restart, "server restarting: reconnect");
    }

  private:
    awaitable<void> read_loop();
    void handle(std::string_view text);
    void authenticate(const std::string& token);
    void subscribe(const std::vector<std::string>& names);
    void unsubscribe(const std::vector<std::string>& names);
    void send(std::string text) { deliver(realtime::make_message(std::move(text))); }
    void send_error(std::string_view code, std::string_view message) {
        send(realtime::error_message(code, message));
    }
    void drained() override;
    // Drops a connection whose write has been stuck longer than the stall timeout.
    bool abort_if_stalled();
    void close_with(websocket::close_code code, std::string_view reason);
    void start_close();
    void arm_timer(std::chrono::seconds after);
    void on_timer();
    void leave();

    websocket::stream<GatherStream> ws_;
    WebSocketContext& context_;
    const WebSocketSettings& settings_;
    const std::size_t shard_;
    std::optional<realtime::UserSlot> slot_;
    std::optional<std::string> user_;
    std::string token_jti_;  // the token that authenticated the connection, checked again
    std::int64_t token_expires_s_ = 0;
    realtime::RateLimiter limiter_;
    asio::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::vector<std::string> channels_;
    bool follows_account_ = false;
    Clock::time_point last_received_ = Clock::now();
    bool ping_in_flight_ = false;
    bool closing_ = false;                                  // no more messages are queued or read
    std::optional<websocket::close_reason> pending_close_;  // sent once the queue is written
    bool ended_ = false;
};

awaitable<void> WebSocketSession::run(std::shared_ptr<WebSocketSession> self,
                                      BeastRequest request) {
    auto& ws = self->ws_;
    ws.next_layer().bind(self, self.get());
    beast::get_lowest_layer(ws).expires_never();
    // The handshake and closing handshake are bounded; idleness is our own 5-minute rule.
    ws.set_option(websocket::stream_base::timeout{std::chrono::seconds(10),
                                                  websocket::stream_base::none(), false});
    ws.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& response) { response.set(http::field::server, "botcore"); }));
    ws.read_message_max(self->settings_.max_message_bytes);
    ws.auto_fragment(false);
    ws.text(true);
    ws.control_callback([raw = self.get()](websocket::frame_type, beast::string_view) {
        raw->last_received_ = Clock::now();
    });

    auto& hub = self->context_.hub;
    hub.attach(self->shard_, self.get());
    self->context_.instance.ws_connections.fetch_add(1);
    boost::system::error_code ec;
    {
        // The upgrade request (its headers carry the token) is not kept for the connection's
        // life: this frame lives as long as the connection.
        auto upgrade = std::move(request);
        co_await ws.async_accept(upgrade, asio::redirect_error(use_awaitable, ec));
    }
    if (!ec) {
        ws.next_layer().accepted();
        self->arm_timer(self->user_ ? self->settings_.ping_interval : self->settings_.auth_timeout);
        co_await self->read_loop();
    }
    self->leave();
}

awaitable<void> WebSocketSession::read_loop() {
    boost::system::error_code ec;
    for (;;) {
        co_await ws_.async_read(buffer_, asio::redirect_error(use_awaitable, ec));
        if (ec) {
            if (ec == websocket::error::message_too_big) {
                context_.log->info(R"("msg":"websocket message too big","user":"{}")",
                                   user_.value_or(""));
            }
            co_return;  // closed by either side, reset, or a protocol violation
        }
        last_received_ = Clock::now();
        const std::string_view text(static_cast<const char*>(buffer_.data().data()),
                                    buffer_.size());
        if (!closing_) {
            context_.counters.client_messages.fetch_add(1, std::memory_order_relaxed);
            if (!limiter_.allow(wall_ms())) {
                send_error("rate_limited", fmt::format("more than {} messages per minute",
                                                       settings_.client_messages_per_minute));
                close_with(websocket::close_code::policy_error, "message rate limit exceeded");
            } else if (!ws_.got_text()) {
                send_error("bad_request", "binary frames are not accepted; send JSON text");
                close_with(websocket::close_code::unknown_data, "binary frames are not accepted");
            } else {
                handle(text);
            }
        }
        buffer_.consume(buffer_.size());
        // Client messages are rare: an idle connection should not keep a read buffer.
        buffer_.shrink_to_fit();
    }
}

void WebSocketSession::handle(std::string_view text) {
    auto message = realtime::parse_client_message(text);
    if (!message) {
        send_error(message.error().code, message.error().message);
        return;
    }
    if (const auto* auth = std::get_if<realtime::AuthMessage>(&*message)) {
        if (user_) {
            send_error("conflict", "this connection is already authenticated");
        } else {
            authenticate(auth->token);
        }
        return;
    }
    if (!user_) {
        send_error("unauthorized", "authenticate first: {\"type\":\"auth\",\"token\":\"...\"}");
        close_with(websocket::close_code::policy_error, "authentication required");
        return;
    }
    if (const auto* ping = std::get_if<realtime::PingMessage>(&*message)) {
        send(realtime::pong_message(ping->ts_ms));
    } else if (const auto* sub = std::get_if<realtime::SubscribeMessage>(&*message)) {
        subscribe(sub->channels);
    } else if (const auto* unsub = std::get_if<realtime::UnsubscribeMessage>(&*message)) {
        unsubscribe(unsub->channels);
    }
}

void WebSocketSession::authenticate(const std::string& token) {
    auto identity = context_.check_token.verify(token);
    if (!identity) {
        send_error("unauthorized", "invalid or expired token");
        close_with(websocket::close_code::policy_error, "invalid token");
        return;
    }
    slot_ = context_.hub.acquire_user_slot(identity->user_id);
    if (!slot_) {
        context_.counters.refused.fetch_add(1, std::memory_order_relaxed);
        send_error("rate_limited", fmt::format("at most {} connections per user",
                                               settings_.max_connections_per_user));
        close_with(websocket::close_code::policy_error, "too many connections for this user");
        return;
    }
    user_ = std::move(identity->user_id);
    token_jti_ = std::move(identity->jti);
    token_expires_s_ = identity->expires_s;
    send(R"({"type":"authenticated"})");
    arm_timer(settings_.ping_interval);
}

void WebSocketSession::subscribe(const std::vector<std::string>& names) {
    const auto& catalog = *settings_.symbols;
    std::vector<realtime::Channel> parsed;
    parsed.reserve(names.size());
    for (const auto& name : names) {
        auto channel = realtime::parse_channel(name, catalog);
        if (!channel) {
            send_error("validation_failed", channel.error());  // nothing subscribed
            return;
        }
        parsed.push_back(std::move(*channel));
    }
    std::size_t added = 0;
    for (const auto& channel : parsed) {
        added += std::find(channels_.begin(), channels_.end(), channel.key) == channels_.end();
    }
    if (channels_.size() + added > settings_.max_subscriptions) {
        send_error("validation_failed", fmt::format("at most {} subscriptions per connection",
                                                    settings_.max_subscriptions));
        return;
    }
    std::vector<std::string> keys;
    for (auto& channel : parsed) {
        if (std::find(channels_.begin(), channels_.end(), channel.key) == channels_.end()) {
            if (channel.kind == realtime::ChannelKind::kAccount) {
                context_.hub.follow_user(shard_, *user_, this);
                follows_account_ = true;
            } else {
                context_.hub.subscribe(shard_, channel.key, this);
            }
            channels_.push_back(channel.key);
        }
        keys.push_back(std::move(channel.key));
    }
    send(realtime::channels_message("subscribed", keys));
}

void WebSocketSession::unsubscribe(const std::vector<std::string>& names) {
    const auto& catalog = *settings_.symbols;
    std::vector<std::string> keys;
    for (const auto& name : names) {
        auto channel = realtime::parse_channel(name, catalog);
        if (!channel) {
            send_error("validation_failed", channel.error());
            return;
        }
        keys.push_back(std::move(channel->key));
    }
    for (const auto& key : keys) {
        const auto it = std::find(channels_.begin(), channels_.end(), key);
        if (it == channels_.end()) {
            continue;
        }
        channels_.erase(it);
        if (key == "account") {
            context_.hub.unfollow_user(shard_, *user_, this);
            follows_account_ = false;
        } else {
            context_.hub.unsubscribe(shard_, key, this);
        }
    }
    send(realtime::channels_message("unsubscribed", keys));
}

bool WebSocketSession::abort_if_stalled() {
    const auto& stream = ws_.next_layer();
    if (!stream.writing() || Clock::now() - stream.write_started() <= settings_.stall_timeout) {
        return false;
    }
    // The client has not read for a long time (its TCP window is full): a close frame would
    // never get through either, so the connection is dropped.
    if (!closing_) {
        context_.counters.slow_closes.fetch_add(1, std::memory_order_relaxed);
    }
    closing_ = true;
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    return true;
}

void WebSocketSession::deliver(const realtime::Message& message) {
    if (abort_if_stalled() || closing_ || ws_.next_layer().failed()) {
        return;
    }
    if (!ws_.next_layer().push(message)) {
        context_.counters.slow_closes.fetch_add(1, std::memory_order_relaxed);
        close_with(websocket::close_code::policy_error, "too slow: send queue full");
    }
}

void WebSocketSession::drained() {
    if (pending_close_) {
        start_close();
    }
}

// What is already queued (an error explaining the close) still goes out first; nothing more is
// accepted.
void WebSocketSession::close_with(websocket::close_code code, std::string_view reason) {
    if (closing_) {
        return;
    }
    closing_ = true;
    pending_close_ = websocket::close_reason(code, reason);
    if (ws_.next_layer().idle()) {
        start_close();
    } else {
        arm_timer(settings_.stall_timeout);  // the queue's write may never complete
    }
}

// Everything queued is written: the close frame.
void WebSocketSession::start_close() {
    const auto reason = *std::exchange(pending_close_, std::nullopt);
    ws_.async_close(
        reason, [self = shared_from_this()](boost::system::error_code) { self->timer_.cancel(); });
}

void WebSocketSession::arm_timer(std::chrono::seconds after) {
    timer_.expires_after(after);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) {
            self->on_timer();
        }
    });
}

void WebSocketSession::on_timer() {
    if (ended_ || abort_if_stalled()) {
        return;
    }
    if (closing_) {
        if (ws_.next_layer().writing()) {
            arm_timer(settings_.stall_timeout);
        }
        return;
    }
    if (!user_) {
        send_error("unauthorized", "no auth message within the time allowed");
        close_with(websocket::close_code::policy_error, "authentication timeout");
        return;
    }
    // A logout (on any instance) ends the connections its token opened, within a ping interval.
    if (!context_.check_token.still_valid(token_jti_, token_expires_s_)) {
        send_error("unauthorized", "the token was revoked or has expired");
        close_with(websocket::close_code::policy_error, "token no longer valid");
        return;
    }
    if (Clock::now() - last_received_ >= settings_.idle_timeout) {
        close_with(websocket::close_code::going_away, "idle timeout");
        return;
    }
    if (!ping_in_flight_) {
        ping_in_flight_ = true;
        ws_.async_ping({}, [self = shared_from_this()](boost::system::error_code) {
            self->ping_in_flight_ = false;
        });
    }
    arm_timer(settings_.ping_interval);
}

void WebSocketSession::leave() {
    ended_ = true;
    closing_ = true;
    timer_.cancel();
    auto& hub = context_.hub;
    for (const auto& channel : channels_) {
        if (channel != "account") {
            hub.unsubscribe(shard_, channel, this);
        }
    }
    if (follows_account_) {
        hub.unfollow_user(shard_, *user_, this);
    }
    hub.detach(shard_, this);
    if (slot_) {
        hub.release_user_slot(*slot_);
    }
    context_.instance.ws_connections.fetch_sub(1);
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
}

// Beast refuses a malformed opening handshake itself, with a plain-text body: what a client can
// get wrong is refused here first, with the contract's error JSON.
std::optional<api::HttpResponse> handshake_refusal(const BeastRequest& request) {
    const auto refuse = [](const api::ApiError& error) {
        auto response = api::error_response(error);
        response.close = true;
        return response;
    };
    if (request[http::field::sec_websocket_key].size() != 24) {
        return refuse(api::ApiError::bad_request("Sec-WebSocket-Key must be 16 bytes in base64"));
    }
    if (request[http::field::sec_websocket_version] != "13") {
        auto error = api::ApiError::bad_request("the WebSocket version must be 13");
        error.status = 426;  // Upgrade Required, naming the version in Sec-WebSocket-Version
        auto response = refuse(error);
        response.headers.emplace_back("Sec-WebSocket-Version", "13");
        return response;
    }
    return std::nullopt;
}

}  // namespace

std::optional<api::HttpResponse> upgrade_to_websocket(beast::tcp_stream& stream,
                                                      BeastRequest request,
                                                      const api::HttpRequest& parsed,
                                                      WebSocketContext& context,
                                                      std::size_t shard) {
    if (auto refused = handshake_refusal(request)) {
        return refused;
    }
    std::optional<realtime::UserSlot> slot;
    TokenIdentity identity;
    if (const auto token = bearer_token(parsed)) {
        auto verified = context.check_token.verify(*token);
        if (!verified) {
            context.counters.refused.fetch_add(1, std::memory_order_relaxed);
            auto response =
                api::error_response(api::ApiError::unauthorized("invalid or expired token"));
            response.close = true;
            return response;
        }
        identity = std::move(*verified);
        slot = context.hub.acquire_user_slot(identity.user_id);
        if (!slot) {
            context.counters.refused.fetch_add(1, std::memory_order_relaxed);
            auto response = api::error_response(
                api::ApiError::rate_limited(fmt::format("at most {} WebSocket connections per user",
                                                        context.settings.max_connections_per_user),
                                            5));
            response.close = true;
            return response;
        }
    }
    context.counters.upgrades.fetch_add(1, std::memory_order_relaxed);
    auto executor = stream.get_executor();
    auto session = std::make_shared<WebSocketSession>(std::move(stream), context, shard,
                                                      std::move(slot), std::move(identity));
    asio::co_spawn(executor, WebSocketSession::run(std::move(session), std::move(request)),
                   asio::detached);
    return std::nullopt;
}

}  // namespace botcore::net
