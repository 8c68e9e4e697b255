// Classifies a message from the server. Price messages, the hot path, are read with a
// targeted scan; anything the scan does not recognise is parsed fully with RapidJSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace botcore::load {

enum class MessageKind { kPrice, kSubscribed, kError, kOther, kMalformed };

struct ScannedMessage {
    MessageKind kind = MessageKind::kMalformed;
    std::int64_t ts_ms = 0;  // kPrice
    std::string error_code;  // kError
};

ScannedMessage scan_message(std::string_view text);

}  // namespace botcore::load
