// Ticks as text, to pass between the instances of a cluster (PostgreSQL NOTIFY payloads, event
// bus messages): "SYMBOL,price units,volume units,ts_ms;" per tick. Twenty symbols fit well
// within PostgreSQL's 8000-byte payload.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ports/feed.hpp"

namespace botcore::market {

std::string encode_ticks(std::span<const ports::Tick> ticks);
// Malformed entries are skipped: the text comes from another instance of this program.
std::vector<ports::Tick> decode_ticks(std::string_view text);

}  // namespace botcore::market
