// The HTTP/1.1 server (Boost.Beast behind a pimpl, so no other layer includes it): keep-alive,
// timeouts, body limit, a connection cap, per-route metrics and access logs, the upgrade to
// WebSocket on /ws, and a graceful drain on SIGTERM/SIGINT (WebSockets are told to reconnect).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "api/router.hpp"
#include "net/trusted_proxies.hpp"
#include "net/websocket_settings.hpp"
#include "ops/instance_state.hpp"
#include "ops/metrics.hpp"
#include "realtime/hub.hpp"

namespace spdlog {
class logger;
}

namespace botcore::net {

struct ServerLimits {
    int threads = 1;
    int worker_threads = 4;
    int max_connections = 15000;
    std::int64_t body_limit_bytes = 1 << 20;
    std::chrono::seconds request_timeout{30};
    std::chrono::seconds idle_timeout{60};
    std::chrono::seconds drain_grace{2};
    std::chrono::seconds shutdown_timeout{15};
    // Peers whose X-Forwarded-For names the client (requests' remote_ip, the access log).
    TrustedProxies trusted_proxies;
};

class HttpServer {
  public:
    HttpServer(ServerLimits limits, api::Router& router, ops::MetricsRegistry& metrics,
               ops::InstanceState& instance, std::shared_ptr<spdlog::logger> log, bool access_log,
               WebSocketSettings websocket = {}, TokenCheck check_token = {});
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and listens on HOST:PORT; returns the bound address (the real port when 0 was asked).
    std::expected<std::string, std::string> bind(std::string_view listen);
    // Serves until SIGTERM or SIGINT, then drains: /health answers 503 for the grace period,
    // the listener closes, in-flight requests finish, idle connections close. A second signal
    // stops at once. Returns when everything has stopped.
    void run();

    // Where /ws messages are published (any thread, before or during run()).
    realtime::Hub& hub();
    const WebSocketCounters& websocket_counters() const;
    const realtime::Hub::Counters& hub_counters() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace botcore::net
