// What the /ws sessions are allowed and how they are authenticated; no networking types, so the
// wiring in app/ can fill it in without compiling Beast.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "domain/symbol.hpp"

namespace botcore::net {

struct WebSocketSettings {
    int max_connections_per_user = 5;
    std::size_t send_queue_messages = 256;
    int client_messages_per_minute = 100;
    std::chrono::seconds ping_interval{30};
    std::chrono::seconds idle_timeout{300};
    std::chrono::seconds auth_timeout{5};
    // A write that has not completed in this long means the client stopped reading.
    std::chrono::seconds stall_timeout{10};
    std::size_t max_message_bytes = 4096;
    std::size_t max_subscriptions = 100;
    // The symbols whose channels exist.
    const domain::SymbolCatalog* symbols = &domain::SymbolCatalog::default_catalog();
};

// An access token as a connection knows it: whose it is, and its id and expiry (seconds since
// the epoch), by which the connection checks it again while it is open.
struct TokenIdentity {
    std::string user_id;
    std::string jti;
    std::int64_t expires_s = 0;
};

struct TokenCheck {
    // The identity of a valid access token, or nothing.
    std::function<std::optional<TokenIdentity>(std::string_view token)> verify;
    // Whether a token verified earlier still holds: not revoked since (a logout, on any
    // instance) and not expired.
    std::function<bool(std::string_view jti, std::int64_t expires_s)> still_valid;
};

struct WebSocketCounters {
    std::atomic<std::uint64_t> upgrades{0};
    std::atomic<std::uint64_t> refused{0};  // bad token or over the per-user limit
    std::atomic<std::uint64_t> slow_closes{0};
    std::atomic<std::uint64_t> client_messages{0};
    std::atomic<std::uint64_t> messages_sent{0};  // messages handed to the sockets
    std::atomic<std::uint64_t> socket_writes{0};  // gathered writes that carried them
};

}  // namespace botcore::net
