#include "market/tick_codec.hpp"

#include <array>
#include <charconv>
#include <optional>

namespace botcore::market {

namespace {

std::optional<std::int64_t> number(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size() ? std::optional(value)
                                                                 : std::nullopt;
}

}  // namespace

std::string encode_ticks(std::span<const ports::Tick> ticks) {
    std::string out;
    for (const auto& tick : ticks) {
        out += tick.symbol + "," + std::to_string(tick.price.units()) + "," +
               std::to_string(tick.volume.units()) + "," + std::to_string(tick.ts_ms) + ";";
    }
    return out;
}

std::vector<ports::Tick> decode_ticks(std::string_view text) {
    std::vector<ports::Tick> out;
    while (!text.empty()) {
        const auto end = text.find(';');
        const auto entry = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        std::array<std::string_view, 4> fields;
        std::size_t count = 0;
        for (std::string_view rest = entry; count < fields.size();) {
            const auto comma = rest.find(',');
            fields[count++] = rest.substr(0, comma);
            if (comma == std::string_view::npos) {
                break;
            }
            rest = rest.substr(comma + 1);
        }
        if (count != 4 || fields[0].empty()) {
            continue;
        }
        const auto price = number(fields[1]);
        const auto volume = number(fields[2]);
        const auto ts = number(fields[3]);
        if (price && volume && ts && *price > 0 && *volume >= 0) {
            out.push_back({std::string(fields[0]), domain::Decimal::from_units(*price),
                           domain::Decimal::from_units(*volume), *ts});
        }
    }
    return out;
}

}  // namespace botcore::market
