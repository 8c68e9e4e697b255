#include "realtime/channel.hpp"

#include <fmt/format.h>

#include "market/candles.hpp"

namespace botcore::realtime {

namespace {

// Splits "a:b:c" into at most three parts; more colons than that are an error.
struct Parts {
    std::string_view kind, symbol, interval;
    int count = 0;
};

Parts split(std::string_view text) {
    Parts parts;
    std::string_view* slots[] = {&parts.kind, &parts.symbol, &parts.interval};
    while (parts.count < 3) {
        const auto colon = text.find(':');
        *slots[parts.count++] = text.substr(0, colon);
        if (colon == std::string_view::npos) {
            return parts;
        }
        text.remove_prefix(colon + 1);
    }
    parts.count = 4;  // a fourth part
    return parts;
}

}  // namespace

std::expected<Channel, std::string> parse_channel(std::string_view text,
                                                  const domain::SymbolCatalog& catalog) {
    if (text.size() > 64) {
        return std::unexpected("channel name too long");
    }
    const auto parts = split(text);
    const auto unknown_symbol = [&] {
        return std::unexpected(
            fmt::format("unknown symbol '{}' in channel '{}'", parts.symbol, text));
    };
    if (parts.kind == "account" && parts.count == 1) {
        return Channel{ChannelKind::kAccount, "account"};
    }
    if ((parts.kind == "prices" || parts.kind == "signals") && parts.count == 2) {
        if (catalog.find(parts.symbol) == nullptr) {
            return unknown_symbol();
        }
        return Channel{parts.kind == "prices" ? ChannelKind::kPrices : ChannelKind::kSignals,
                       std::string(text)};
    }
    if (parts.kind == "candles" && parts.count == 3) {
        if (catalog.find(parts.symbol) == nullptr) {
            return unknown_symbol();
        }
        if (!market::parse_interval(parts.interval)) {
            return std::unexpected(fmt::format(
                "unknown interval '{}' in channel '{}' (1m, 5m, 15m or 1h)", parts.interval, text));
        }
        return Channel{ChannelKind::kCandles, std::string(text)};
    }
    return std::unexpected(fmt::format(
        "unknown channel '{}' (prices:SYMBOL, candles:SYMBOL:INTERVAL, signals:SYMBOL or account)",
        text));
}

std::string prices_channel(std::string_view symbol) {
    return fmt::format("prices:{}", symbol);
}

std::string candles_channel(std::string_view symbol, std::string_view interval) {
    return fmt::format("candles:{}:{}", symbol, interval);
}

std::string signals_channel(std::string_view symbol) {
    return fmt::format("signals:{}", symbol);
}

}  // namespace botcore::realtime
