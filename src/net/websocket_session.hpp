// /ws: the upgrade of an HTTP connection to a WebSocket session (auth, per-user limit), and the
// session itself: subscriptions through the realtime hub, a bounded coalescing send queue,
// pings, the idle close and the client message rate limit. Network-internal header.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api/http_types.hpp"
#include "net/websocket_settings.hpp"
#include "ops/instance_state.hpp"
#include "realtime/hub.hpp"

namespace spdlog {
class logger;
}

namespace botcore::net {

struct WebSocketContext {
    realtime::Hub& hub;
    TokenCheck check_token;
    WebSocketSettings settings;
    ops::InstanceState& instance;
    std::shared_ptr<spdlog::logger> log;
    WebSocketCounters& counters;
};

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;

// An upgrade request for /ws: refuses it with an HTTP answer (401, 429) or takes the stream
// and runs the session on the stream's executor (shard: that executor's index in the hub).
std::optional<api::HttpResponse> upgrade_to_websocket(boost::beast::tcp_stream& stream,
                                                      BeastRequest request,
                                                      const api::HttpRequest& parsed,
                                                      WebSocketContext& context, std::size_t shard);

}  // namespace botcore::net
