#include "market/binance_kline.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <vector>

#include "domain/text_list.hpp"

namespace botcore::market {

using domain::Decimal;

namespace {

// How long after its kline ends the final update may be sent.
constexpr std::int64_t kFinalUpdateSlackMs = 60'000;

// Column names of Binance's kline dumps, in order.
constexpr std::array<std::string_view, 12> kCsvColumns{"open_time",
                                                       "open",
                                                       "high",
                                                       "low",
                                                       "close",
                                                       "volume",
                                                       "close_time",
                                                       "quote_volume",
                                                       "trades",
                                                       "taker_buy_volume",
                                                       "taker_buy_quote_volume",
                                                       "ignore"};
constexpr std::size_t kRequiredCsvColumns = 9;  // through the number of trades

// Millisecond timestamps have 13 digits until the year 2286; 16-digit ones are microseconds.
constexpr std::int64_t kMicrosecondThreshold = 1'000'000'000'000'000;

constexpr std::array<std::string_view, 16> kIntervals{"1s", "1m", "3m", "5m", "15m", "30m",
                                                      "1h", "2h", "4h", "6h", "8h",  "12h",
                                                      "1d", "3d", "1w", "1M"};

KlineError error(std::string_view field, std::string message) {
    return KlineError{std::string(field), std::move(message)};
}

std::optional<std::int64_t> parse_count(std::string_view text) {
    std::int64_t value = 0;
    if (text.empty() || text.front() == '-' || text.front() == '+') {
        return std::nullopt;
    }
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

std::int64_t to_ms(std::int64_t timestamp) {
    return timestamp >= kMicrosecondThreshold ? timestamp / 1000 : timestamp;
}

bool valid_symbol(std::string_view symbol) {
    return !symbol.empty() && symbol.size() <= 32 &&
           std::all_of(symbol.begin(), symbol.end(),
                       [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

// The logical fields that the CSV and JSON forms name differently.
enum class Field { kOpenTime, kCloseTime, kOpen, kHigh, kLow, kClose, kVolume, kQuoteVolume };

struct Invalid {
    Field field;
    std::string message;
};

// Checks what both forms must satisfy once every field has been read.
std::optional<Invalid> check(const Kline& k) {
    const Decimal zero;
    if (k.open_ms < 0) {
        return Invalid{Field::kOpenTime, "must not be negative"};
    }
    if (k.close_ms < k.open_ms) {
        return Invalid{Field::kCloseTime, "is before the open time"};
    }
    if (k.open <= zero) {
        return Invalid{Field::kOpen, "must be positive"};
    }
    if (k.close <= zero) {
        return Invalid{Field::kClose, "must be positive"};
    }
    if (k.low <= zero) {
        return Invalid{Field::kLow, "must be positive"};
    }
    if (k.high < std::max({k.open, k.close, k.low})) {
        return Invalid{Field::kHigh, "is below the open, close or low"};
    }
    if (k.low > std::min(k.open, k.close)) {
        return Invalid{Field::kLow, "is above the open or close"};
    }
    if (k.volume < zero) {
        return Invalid{Field::kVolume, "must not be negative"};
    }
    if (k.quote_volume < zero) {
        return Invalid{Field::kQuoteVolume, "must not be negative"};
    }
    return std::nullopt;
}

std::string_view csv_name(Field field) {
    switch (field) {
        case Field::kOpenTime:
            return "open_time";
        case Field::kCloseTime:
            return "close_time";
        case Field::kOpen:
            return "open";
        case Field::kHigh:
            return "high";
        case Field::kLow:
            return "low";
        case Field::kClose:
            return "close";
        case Field::kVolume:
            return "volume";
        case Field::kQuoteVolume:
            return "quote_volume";
    }
    return "";
}

std::string_view json_name(Field field) {
    switch (field) {
        case Field::kOpenTime:
            return "k.t";
        case Field::kCloseTime:
            return "k.T";
        case Field::kOpen:
            return "k.o";
        case Field::kHigh:
            return "k.h";
        case Field::kLow:
            return "k.l";
        case Field::kClose:
            return "k.c";
        case Field::kVolume:
            return "k.v";
        case Field::kQuoteVolume:
            return "k.q";
    }
    return "";
}

std::string quoted(std::string_view text) {
    constexpr std::size_t kShown = 40;
    std::string out = "'";
    out += text.substr(0, kShown);
    out += text.size() > kShown ? "...'" : "'";
    return out;
}

// Reads the members of one JSON object, naming each by its path in errors.
class JsonObject {
  public:
    JsonObject(const rapidjson::Value& value, std::string path)
        : value_(value), path_(std::move(path)) {}

    std::string name(std::string_view member) const { return path_ + std::string(member); }

    std::expected<const rapidjson::Value*, KlineError> member(std::string_view key) const {
        const auto it =
            value_.FindMember(rapidjson::Value(rapidjson::StringRef(key.data(), key.size())));
        if (it == value_.MemberEnd()) {
            return std::unexpected(error(name(key), "missing"));
        }
        return &it->value;
    }

    std::expected<std::string_view, KlineError> string(std::string_view key) const {
        auto value = member(key);
        if (!value) {
            return std::unexpected(value.error());
        }
        if (!(*value)->IsString()) {
            return std::unexpected(error(name(key), "not a string"));
        }
        return std::string_view((*value)->GetString(), (*value)->GetStringLength());
    }

    std::expected<std::int64_t, KlineError> integer(std::string_view key) const {
        auto value = member(key);
        if (!value) {
            return std::unexpected(value.error());
        }
        if (!(*value)->IsInt64() || (*value)->GetInt64() < 0) {
            return std::unexpected(error(name(key), "not a non-negative integer"));
        }
        return (*value)->GetInt64();
    }

    std::expected<bool, KlineError> boolean(std::string_view key) const {
        auto value = member(key);
        if (!value) {
            return std::unexpected(value.error());
        }
        if (!(*value)->IsBool()) {
            return std::unexpected(error(name(key), "not a boolean"));
        }
        return (*value)->GetBool();
    }

    // Binance sends prices and volumes as strings, so they parse exactly.
    std::expected<Decimal, KlineError> decimal(std::string_view key) const {
        auto text = string(key);
        if (!text) {
            return std::unexpected(text.error());
        }
        const auto value = Decimal::parse(*text);
        if (!value) {
            return std::unexpected(error(name(key), "not a decimal: " + quoted(*text)));
        }
        return *value;
    }

  private:
    const rapidjson::Value& value_;
    std::string path_;
};

std::expected<Kline, KlineError> read_kline(const JsonObject& k) {
    Kline kline;
    auto fail = [](const KlineError& e) { return std::unexpected(e); };
    auto open_ms = k.integer("t");
    if (!open_ms) {
        return fail(open_ms.error());
    }
    auto close_ms = k.integer("T");
    if (!close_ms) {
        return fail(close_ms.error());
    }
    auto symbol = k.string("s");
    if (!symbol) {
        return fail(symbol.error());
    }
    if (!valid_symbol(*symbol)) {
        return fail(error(k.name("s"), "not an upper-case symbol: " + quoted(*symbol)));
    }
    auto interval = k.string("i");
    if (!interval) {
        return fail(interval.error());
    }
    if (!is_kline_interval(*interval)) {
        return fail(error(k.name("i"), "unknown interval " + quoted(*interval)));
    }
    kline.symbol = std::string(*symbol);
    kline.interval = std::string(*interval);
    kline.open_ms = *open_ms;
    kline.close_ms = *close_ms;
    const std::array<std::pair<std::string_view, Decimal*>, 6> decimals{
        {{"o", &kline.open},
         {"h", &kline.high},
         {"l", &kline.low},
         {"c", &kline.close},
         {"v", &kline.volume},
         {"q", &kline.quote_volume}}};
    for (const auto& [key, target] : decimals) {
        auto value = k.decimal(key);
        if (!value) {
            return fail(value.error());
        }
        *target = *value;
    }
    auto trades = k.integer("n");
    if (!trades) {
        return fail(trades.error());
    }
    kline.trades = *trades;
    auto closed = k.boolean("x");
    if (!closed) {
        return fail(closed.error());
    }
    kline.closed = *closed;
    return kline;
}

}  // namespace

bool is_kline_interval(std::string_view interval) {
    return std::find(kIntervals.begin(), kIntervals.end(), interval) != kIntervals.end();
}

std::expected<std::optional<Kline>, KlineError> parse_kline_csv(std::string_view line,
                                                                std::string_view symbol,
                                                                std::string_view interval) {
    line = domain::trim(line);
    if (line.empty()) {
        return std::nullopt;
    }
    if (std::isalpha(static_cast<unsigned char>(line.front()))) {
        return std::nullopt;  // the header ("open_time,open,...")
    }
    const auto cells = domain::split_list(line);
    if (cells.size() < kRequiredCsvColumns) {
        return std::unexpected(error(kCsvColumns[cells.size()],
                                     "missing column " + std::to_string(cells.size() + 1) + " (" +
                                         std::to_string(cells.size()) + " columns, at least " +
                                         std::to_string(kRequiredCsvColumns) + " expected)"));
    }
    if (cells.size() > kCsvColumns.size()) {
        return std::unexpected(error("", std::to_string(cells.size()) + " columns, at most " +
                                             std::to_string(kCsvColumns.size()) + " expected"));
    }
    auto column_error = [&cells](std::size_t index, std::string_view what) {
        return std::unexpected(
            error(kCsvColumns[index], "column " + std::to_string(index + 1) + " (" +
                                          std::string(kCsvColumns[index]) + ") is not " +
                                          std::string(what) + ": " + quoted(cells[index])));
    };

    Kline kline;
    kline.symbol = std::string(symbol);
    kline.interval = std::string(interval);
    kline.closed = true;
    const std::array<std::pair<std::size_t, std::int64_t*>, 3> integers{
        {{0, &kline.open_ms}, {6, &kline.close_ms}, {8, &kline.trades}}};
    for (const auto& [index, target] : integers) {
        const auto value = parse_count(cells[index]);
        if (!value) {
            return column_error(index, "a non-negative integer");
        }
        *target = *value;
    }
    kline.open_ms = to_ms(kline.open_ms);
    kline.close_ms = to_ms(kline.close_ms);
    const std::array<std::pair<std::size_t, Decimal*>, 6> decimals{{{1, &kline.open},
                                                                    {2, &kline.high},
                                                                    {3, &kline.low},
                                                                    {4, &kline.close},
                                                                    {5, &kline.volume},
                                                                    {7, &kline.quote_volume}}};
    for (const auto& [index, target] : decimals) {
        const auto value = Decimal::parse(cells[index]);
        if (!value) {
            return column_error(index, "a decimal");
        }
        *target = *value;
    }
    // The taker volumes are not kept, but a line with garbage there is still malformed.
    for (std::size_t index = 9; index < std::min<std::size_t>(cells.size(), 11); ++index) {
        const auto value = Decimal::parse(cells[index]);
        if (!value || *value < Decimal{}) {
            return column_error(index, "a non-negative decimal");
        }
    }
    if (const auto invalid = check(kline)) {
        const auto name = csv_name(invalid->field);
        const auto index = static_cast<std::size_t>(
            std::find(kCsvColumns.begin(), kCsvColumns.end(), name) - kCsvColumns.begin());
        return std::unexpected(error(name, "column " + std::to_string(index + 1) + " (" +
                                               std::string(name) + ") " + invalid->message));
    }
    return kline;
}

std::expected<KlineEvent, KlineError> parse_kline_message(std::string_view json) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(json.data(),
                                                                                      json.size());
    if (doc.HasParseError()) {
        return std::unexpected(error("", std::string("invalid JSON: ") +
                                             rapidjson::GetParseError_En(doc.GetParseError()) +
                                             " at offset " + std::to_string(doc.GetErrorOffset())));
    }
    if (!doc.IsObject()) {
        return std::unexpected(error("", "not a JSON object"));
    }
    const rapidjson::Value* event = &doc;
    std::string path;
    if (doc.HasMember("stream")) {
        const JsonObject wrapper(doc, "");
        if (auto stream = wrapper.string("stream"); !stream) {
            return std::unexpected(stream.error());
        }
        auto data = wrapper.member("data");
        if (!data) {
            return std::unexpected(data.error());
        }
        if (!(*data)->IsObject()) {
            return std::unexpected(error("data", "not an object"));
        }
        event = *data;
        path = "data.";
    }
    const JsonObject top(*event, path);
    auto type = top.string("e");
    if (!type) {
        return std::unexpected(type.error());
    }
    if (*type != "kline") {
        return std::unexpected(error(top.name("e"), "not a kline event: " + quoted(*type)));
    }
    auto event_ms = top.integer("E");
    if (!event_ms) {
        return std::unexpected(event_ms.error());
    }
    auto k = top.member("k");
    if (!k) {
        return std::unexpected(k.error());
    }
    if (!(*k)->IsObject()) {
        return std::unexpected(error(top.name("k"), "not an object"));
    }
    auto kline = read_kline(JsonObject(**k, top.name("k.")));
    if (!kline) {
        return std::unexpected(kline.error());
    }
    if (event->HasMember("s")) {
        auto symbol = top.string("s");
        if (!symbol) {
            return std::unexpected(symbol.error());
        }
        if (*symbol != kline->symbol) {
            return std::unexpected(error(top.name("s"), "differs from k.s"));
        }
    }
    if (const auto invalid = check(*kline)) {
        return std::unexpected(
            error(path + std::string(json_name(invalid->field)), invalid->message));
    }
    // An update is sent while its kline runs, the final one just after it ends. Another event
    // time would put the symbol's clock where later updates look late and are dropped.
    if (*event_ms < kline->open_ms || *event_ms > kline->close_ms + kFinalUpdateSlackMs) {
        return std::unexpected(error(top.name("E"), "is outside the kline's time"));
    }
    return KlineEvent{*event_ms, std::move(*kline)};
}

std::expected<std::string, KlineError> kline_stream_path(std::span<const std::string> symbols,
                                                         std::string_view interval) {
    if (!is_kline_interval(interval)) {
        return std::unexpected(error("interval", "unknown interval " + quoted(interval)));
    }
    if (symbols.empty()) {
        return std::unexpected(error("symbols", "no symbol to subscribe to"));
    }
    std::string path = "/stream?streams=";
    for (std::size_t i = 0; i < symbols.size(); ++i) {
        if (!valid_symbol(symbols[i])) {
            return std::unexpected(
                error("symbols", "not an upper-case symbol: " + quoted(symbols[i])));
        }
        if (std::find(symbols.begin(), symbols.begin() + static_cast<std::ptrdiff_t>(i),
                      symbols[i]) != symbols.begin() + static_cast<std::ptrdiff_t>(i)) {
            return std::unexpected(error("symbols", "duplicate symbol " + quoted(symbols[i])));
        }
        if (i > 0) {
            path += '/';
        }
        for (const char c : symbols[i]) {
            path += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        path += "@kline_";
        path += interval;
    }
    return path;
}

std::optional<ports::Tick> TickFromKlines::on_update(const Kline& kline, std::int64_t ts_ms) {
    auto it = last_.find(kline.symbol);
    Decimal traded = kline.volume;
    if (it == last_.end()) {
        it = last_.emplace(kline.symbol, Last{}).first;
    } else {
        const auto& last = it->second;
        if (kline.open_ms < last.open_ms || ts_ms < last.ts_ms) {
            return std::nullopt;
        }
        if (ts_ms == last.ts_ms && kline.open_ms == last.open_ms && kline.volume == last.volume) {
            return std::nullopt;  // the same update again (sent once more after a reconnect)
        }
        if (kline.open_ms == last.open_ms) {
            if (kline.volume < last.volume) {
                return std::nullopt;
            }
            // Both are non-negative, so the difference cannot overflow.
            traded = Decimal::from_units(kline.volume.units() - last.volume.units());
        }
    }
    it->second = Last{kline.open_ms, kline.volume, ts_ms};
    return ports::Tick{kline.symbol, kline.close, traded, ts_ms};
}

}  // namespace botcore::market
