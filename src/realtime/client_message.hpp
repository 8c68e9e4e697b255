// What a WebSocket client may send: auth, subscribe, unsubscribe and ping.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace botcore::realtime {

struct AuthMessage {
    std::string token;
};
struct SubscribeMessage {
    std::vector<std::string> channels;
};
struct UnsubscribeMessage {
    std::vector<std::string> channels;
};
struct PingMessage {
    std::int64_t ts_ms = 0;
};

using ClientMessage = std::variant<AuthMessage, SubscribeMessage, UnsubscribeMessage, PingMessage>;

struct ClientMessageError {
    std::string code;  // bad_request (not JSON / not an object) or validation_failed
    std::string message;
};

inline constexpr std::size_t kMaxChannelsPerMessage = 100;

// Strict: unknown types and unknown fields are refused, like unknown JSON fields over HTTP.
std::expected<ClientMessage, ClientMessageError> parse_client_message(std::string_view text);

}  // namespace botcore::realtime
