#include "message_scan.hpp"

#include <rapidjson/document.h>

#include <charconv>
#include <cmath>
#include <optional>

namespace botcore::load {

namespace {

// Text right after `"key":` (spaces allowed around the colon), or nothing.
std::optional<std::string_view> after_key(std::string_view text, std::string_view quoted_key) {
    auto pos = text.find(quoted_key);
    if (pos == std::string_view::npos) {
        return std::nullopt;
    }
    pos = text.find_first_not_of(" \t\r\n", pos + quoted_key.size());
    if (pos == std::string_view::npos || text[pos] != ':') {
        return std::nullopt;
    }
    pos = text.find_first_not_of(" \t\r\n", pos + 1);
    if (pos == std::string_view::npos) {
        return std::nullopt;
    }
    return text.substr(pos);
}

std::optional<std::int64_t> fast_price_ts(std::string_view text) {
    const auto type = after_key(text, R"("type")");
    if (!type || !type->starts_with(R"("price")")) {
        return std::nullopt;
    }
    const auto ts = after_key(text, R"("ts_ms")");
    if (!ts) {
        return std::nullopt;
    }
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(ts->data(), ts->data() + ts->size(), value);
    if (error != std::errc{} || end == ts->data()) {
        return std::nullopt;
    }
    return value;
}

ScannedMessage parse_fully(std::string_view text) {
    ScannedMessage message;
    rapidjson::Document document;
    document.Parse(text.data(), text.size());
    if (document.HasParseError() || !document.IsObject()) {
        return message;
    }
    const auto type = document.FindMember("type");
    if (type == document.MemberEnd() || !type->value.IsString()) {
        return message;
    }
    const std::string_view kind(type->value.GetString(), type->value.GetStringLength());
    if (kind == "price") {
        const auto ts = document.FindMember("ts_ms");
        if (ts != document.MemberEnd() && ts->value.IsNumber()) {
            message.kind = MessageKind::kPrice;
            message.ts_ms = ts->value.IsInt64()
                                ? ts->value.GetInt64()
                                : static_cast<std::int64_t>(std::floor(ts->value.GetDouble()));
        }
    } else if (kind == "subscribed") {
        message.kind = MessageKind::kSubscribed;
    } else if (kind == "error") {
        message.kind = MessageKind::kError;
        const auto code = document.FindMember("code");
        if (code != document.MemberEnd() && code->value.IsString()) {
            message.error_code.assign(code->value.GetString(), code->value.GetStringLength());
        } else if (code != document.MemberEnd() && code->value.IsInt64()) {
            message.error_code = std::to_string(code->value.GetInt64());
        } else {
            message.error_code = "(no code)";
        }
    } else {
        message.kind = MessageKind::kOther;
    }
    return message;
}

}  // namespace

ScannedMessage scan_message(std::string_view text) {
    if (const auto ts = fast_price_ts(text)) {
        return ScannedMessage{MessageKind::kPrice, *ts, {}};
    }
    return parse_fully(text);
}

}  // namespace botcore::load
