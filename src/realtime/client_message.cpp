#include "realtime/client_message.hpp"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <initializer_list>

namespace botcore::realtime {

namespace {

using Error = std::unexpected<ClientMessageError>;

Error invalid(std::string message) {
    return Error({"validation_failed", std::move(message)});
}

std::expected<void, ClientMessageError> only_fields(
    const rapidjson::Value& object, std::initializer_list<std::string_view> allowed) {
    for (const auto& member : object.GetObject()) {
        const std::string_view name(member.name.GetString(), member.name.GetStringLength());
        bool known = false;
        for (const auto candidate : allowed) {
            known = known || candidate == name;
        }
        if (!known) {
            return invalid(fmt::format("unknown field '{}'", name));
        }
    }
    return {};
}

std::expected<std::vector<std::string>, ClientMessageError> channel_list(
    const rapidjson::Value& object) {
    const auto it = object.FindMember("channels");
    if (it == object.MemberEnd() || !it->value.IsArray()) {
        return invalid("'channels' must be an array of channel names");
    }
    const auto& array = it->value.GetArray();
    if (array.Empty() || array.Size() > kMaxChannelsPerMessage) {
        return invalid(fmt::format("'channels' must hold 1 to {} names", kMaxChannelsPerMessage));
    }
    std::vector<std::string> channels;
    channels.reserve(array.Size());
    for (const auto& value : array) {
        if (!value.IsString()) {
            return invalid("'channels' must be an array of channel names");
        }
        channels.emplace_back(value.GetString(), value.GetStringLength());
    }
    return channels;
}

}  // namespace

std::expected<ClientMessage, ClientMessageError> parse_client_message(std::string_view text) {
    rapidjson::Document document;
    document.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
    if (document.HasParseError()) {
        return Error({"bad_request",
                      fmt::format("malformed JSON at offset {}: {}", document.GetErrorOffset(),
                                  rapidjson::GetParseError_En(document.GetParseError()))});
    }
    if (!document.IsObject()) {
        return Error({"bad_request", "a message must be a JSON object"});
    }
    const auto type_it = document.FindMember("type");
    if (type_it == document.MemberEnd() || !type_it->value.IsString()) {
        return invalid("'type' must be a string");
    }
    const std::string_view type(type_it->value.GetString(), type_it->value.GetStringLength());
    if (type == "auth") {
        if (auto fields = only_fields(document, {"type", "token"}); !fields) {
            return Error(fields.error());
        }
        const auto token = document.FindMember("token");
        if (token == document.MemberEnd() || !token->value.IsString()) {
            return invalid("'token' must be a string");
        }
        return AuthMessage{std::string(token->value.GetString(), token->value.GetStringLength())};
    }
    if (type == "subscribe" || type == "unsubscribe") {
        if (auto fields = only_fields(document, {"type", "channels"}); !fields) {
            return Error(fields.error());
        }
        auto channels = channel_list(document);
        if (!channels) {
            return Error(channels.error());
        }
        if (type == "subscribe") {
            return SubscribeMessage{std::move(*channels)};
        }
        return UnsubscribeMessage{std::move(*channels)};
    }
    if (type == "ping") {
        if (auto fields = only_fields(document, {"type", "ts_ms"}); !fields) {
            return Error(fields.error());
        }
        PingMessage ping;
        if (const auto ts = document.FindMember("ts_ms"); ts != document.MemberEnd()) {
            if (!ts->value.IsInt64()) {
                return invalid("'ts_ms' must be an integer");
            }
            ping.ts_ms = ts->value.GetInt64();
        }
        return ping;
    }
    return invalid(fmt::format("unknown message type '{}' (auth, subscribe, unsubscribe or ping)",
                               type.substr(0, 32)));
}

}  // namespace botcore::realtime
