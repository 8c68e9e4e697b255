// A WebSocket subscription channel: "prices:BTCUSDT", "candles:ETHUSDT:1m", "signals:BTCUSDT"
// or "account" (the connection's own user's orders, trades, positions and account).
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "domain/symbol.hpp"

namespace botcore::realtime {

enum class ChannelKind { kPrices, kCandles, kSignals, kAccount };

struct Channel {
    ChannelKind kind = ChannelKind::kPrices;
    std::string key;  // the canonical name, as published and as echoed to the client
};

// Refuses unknown kinds, symbols outside the catalog and intervals other than 1m/5m/15m/1h,
// with a message naming what is wrong.
std::expected<Channel, std::string> parse_channel(std::string_view text,
                                                  const domain::SymbolCatalog& catalog);

std::string prices_channel(std::string_view symbol);
std::string candles_channel(std::string_view symbol, std::string_view interval);
std::string signals_channel(std::string_view symbol);

}  // namespace botcore::realtime
