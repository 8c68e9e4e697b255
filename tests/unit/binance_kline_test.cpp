#include "market/binance_kline.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace botcore::market {
namespace {

using domain::Decimal;

Decimal dec(std::string_view text) {
    return *Decimal::parse(text);
}

// A spot dump line of BTCUSDT-1m-2024-01.csv.
constexpr std::string_view kCsvLine =
    "1704067200000,42283.58000000,42298.62000000,42261.02000000,42298.61000000,35.92724000,"
    "1704067259999,1519032.33909530,1327,19.95589000,843701.99043180,0";

// Binance's documented kline event, with consistent prices.
std::string kline_json(std::string_view symbol = "BTCUSDT", std::string_view close = "42298.61",
                       std::string_view volume = "35.92724", bool closed = false) {
    return std::string(R"({"e":"kline","E":1704067230001,"s":")") + std::string(symbol) +
           R"(","k":{"t":1704067200000,"T":1704067259999,"s":")" + std::string(symbol) +
           R"(","i":"1m","f":100,"L":200,"o":"42283.58000000","c":")" + std::string(close) +
           R"(","h":"42298.62000000","l":"42261.02000000","v":")" + std::string(volume) +
           R"(","n":1327,"x":)" + (closed ? "true" : "false") +
           R"(,"q":"1519032.33909530","V":"19.95589","Q":"843701.9904318","B":"0"}})";
}

std::string error_field(std::string_view line) {
    const auto parsed = parse_kline_csv(line, "BTCUSDT", "1m");
    return parsed ? "<parsed>" : parsed.error().field;
}

std::string message_error_field(std::string_view json) {
    const auto parsed = parse_kline_message(json);
    return parsed ? "<parsed>" : parsed.error().field;
}

TEST(KlineCsv, ParsesADumpLine) {
    const auto parsed = parse_kline_csv(kCsvLine, "BTCUSDT", "1m");
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    ASSERT_TRUE(parsed->has_value());
    const Kline expected{"BTCUSDT",
                         "1m",
                         1704067200000,
                         1704067259999,
                         dec("42283.58"),
                         dec("42298.62"),
                         dec("42261.02"),
                         dec("42298.61"),
                         dec("35.92724"),
                         dec("1519032.3390953"),
                         1327,
                         true};
    EXPECT_EQ(**parsed, expected);
}

TEST(KlineCsv, ConvertsMicrosecondTimesToMilliseconds) {
    const auto parsed = parse_kline_csv(
        "1735689600000000,93576.00000000,93610.93000000,93537.50000000,93610.93000000,"
        "8.21827000,1735689659999999,768978.06078410,1584,4.93985000,462162.54401320,0",
        "BTCUSDT", "1m");
    ASSERT_TRUE(parsed && *parsed);
    EXPECT_EQ((*parsed)->open_ms, 1735689600000);
    EXPECT_EQ((*parsed)->close_ms, 1735689659999);
}

TEST(KlineCsv, ToleratesCrlfAndShortLines) {
    const auto crlf = parse_kline_csv(std::string(kCsvLine) + "\r\n", "BTCUSDT", "1m");
    ASSERT_TRUE(crlf && *crlf);
    EXPECT_EQ((*crlf)->close, dec("42298.61"));
    // Without the taker volumes and the ignored column.
    const auto nine =
        parse_kline_csv("1704067200000,1,2,0.5,1.5,10,1704067259999,15,3", "BTCUSDT", "1m");
    ASSERT_TRUE(nine && *nine);
    EXPECT_EQ((*nine)->trades, 3);
}

TEST(KlineCsv, SkipsTheHeaderAndBlankLines) {
    const auto header = parse_kline_csv(
        "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"
        "taker_buy_quote_volume,ignore\r",
        "BTCUSDT", "1m");
    ASSERT_TRUE(header.has_value());
    EXPECT_FALSE(header->has_value());
    const auto blank = parse_kline_csv("\r\n", "BTCUSDT", "1m");
    ASSERT_TRUE(blank.has_value());
    EXPECT_FALSE(blank->has_value());
}

TEST(KlineCsv, NamesTheColumnOfAMalformedLine) {
    EXPECT_EQ(error_field("1704067200000,1,x,0.5,1.5,10,1704067259999,15,3"), "high");
    EXPECT_EQ(error_field("1704067200000,1,2,0.5,1.5,1e3,1704067259999,15,3"), "volume");
    EXPECT_EQ(error_field("1704067200000,1,2,0.5,1.123456789,10,1704067259999,15,3"), "close");
    EXPECT_EQ(error_field("1704067200000,1,2,0.5,1.5,10,1704067259999,15,-3"), "trades");
    EXPECT_EQ(error_field("1704067200000,1,2,0.5,1.5,10,soon,15,3"), "close_time");
    EXPECT_EQ(error_field("1704067200000,1,2,0.5,1.5,10,1704067259999,15,3,x,1,0"),
              "taker_buy_volume");
    EXPECT_EQ(error_field("1704067200000,1,2,0.5,1.5,10,1704067259999"), "quote_volume");
    EXPECT_EQ(error_field("1704067200000,1,2,0.5,1.5,10,1704067259999,15,3,1,1,0,extra"), "");
    const auto parsed =
        parse_kline_csv("1704067200000,1,x,0.5,1.5,10,1704067259999,15,3", "BTCUSDT", "1m");
    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error().message.find("column 3 (high)"), std::string::npos)
        << parsed.error().message;
}

TEST(KlineCsv, RejectsInconsistentPrices) {
    EXPECT_EQ(error_field("1704067200000,-1,2,0.5,1.5,10,1704067259999,15,3"), "open");
    EXPECT_EQ(error_field("1704067200000,1,1.2,0.5,1.5,10,1704067259999,15,3"), "high");
    EXPECT_EQ(error_field("1704067200000,1,2,1.2,1.5,10,1704067259999,15,3"), "low");
    EXPECT_EQ(error_field("1704067200000,1,2,0.5,1.5,10,1704067100000,15,3"), "close_time");
}

TEST(KlineMessage, ParsesARawEvent) {
    const auto parsed = parse_kline_message(kline_json());
    ASSERT_TRUE(parsed.has_value()) << parsed.error().field << ": " << parsed.error().message;
    EXPECT_EQ(parsed->event_ms, 1704067230001);
    const Kline expected{"BTCUSDT",
                         "1m",
                         1704067200000,
                         1704067259999,
                         dec("42283.58"),
                         dec("42298.62"),
                         dec("42261.02"),
                         dec("42298.61"),
                         dec("35.92724"),
                         dec("1519032.3390953"),
                         1327,
                         false};
    EXPECT_EQ(parsed->kline, expected);
}

TEST(KlineMessage, UnwrapsACombinedStreamMessage) {
    const auto parsed = parse_kline_message(R"({"stream":"ethusdt@kline_1m","data":)" +
                                            kline_json("ETHUSDT", "42290.5", "10", true) + "}");
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(parsed->kline.symbol, "ETHUSDT");
    EXPECT_EQ(parsed->kline.close, dec("42290.5"));
    EXPECT_TRUE(parsed->kline.closed);
}

TEST(KlineMessage, ReportsWhatIsWrong) {
    EXPECT_EQ(message_error_field("{not json"), "");
    EXPECT_EQ(message_error_field("[1,2]"), "");
    EXPECT_EQ(message_error_field(R"({"result":null,"id":1})"), "e");
    EXPECT_EQ(message_error_field(R"({"e":"24hrTicker","E":1,"s":"BTCUSDT"})"), "e");
    EXPECT_EQ(message_error_field(R"({"stream":"x","data":{"e":"trade"}})"), "data.e");
    EXPECT_EQ(message_error_field(R"({"stream":"x","data":[]})"), "data");

    auto without_close = kline_json();
    without_close.replace(without_close.find(R"("c":)"), 4, R"("C":)");
    EXPECT_EQ(message_error_field(without_close), "k.c");

    auto numeric_price = kline_json();
    numeric_price.replace(numeric_price.find(R"("42283.58000000")"), 16, "42283.58");
    EXPECT_EQ(message_error_field(numeric_price), "k.o");
    EXPECT_EQ(message_error_field(R"({"stream":"x","data":)" + numeric_price + "}"), "data.k.o");

    EXPECT_EQ(message_error_field(kline_json("BTCUSDT", "abc")), "k.c");
    EXPECT_EQ(message_error_field(kline_json("btcusdt")), "k.s");
    EXPECT_EQ(message_error_field(kline_json("BTCUSDT", "42300")), "k.h");
    EXPECT_EQ(message_error_field(kline_json("BTCUSDT", "42298.61", "-1")), "k.v");

    auto other_symbol = kline_json();
    other_symbol.replace(other_symbol.find(R"("s":"BTCUSDT")"), 13, R"("s":"ETHUSDT")");
    EXPECT_EQ(message_error_field(other_symbol), "s");
}

TEST(KlineMessage, AnEventTimeOutsideItsKlineIsAnError) {
    const auto with_event_time = [](std::int64_t event_ms) {
        auto json = kline_json();
        json.replace(json.find("1704067230001"), 13, std::to_string(event_ms));
        return message_error_field(json);
    };
    EXPECT_EQ(with_event_time(1704067200000), "<parsed>");          // the kline's open
    EXPECT_EQ(with_event_time(1704067259999 + 2'000), "<parsed>");  // its final update
    EXPECT_EQ(with_event_time(1704067199999), "E");
    EXPECT_EQ(with_event_time(1704067259999 + 60'001), "E");
    EXPECT_EQ(with_event_time(9'999'999'999'999), "E");
    EXPECT_EQ(with_event_time(0), "E");
}

TEST(KlineMessage, EveryTruncationIsAnErrorValue) {
    const auto json = kline_json();
    for (std::size_t length = 0; length < json.size(); ++length) {
        EXPECT_FALSE(parse_kline_message(std::string_view(json).substr(0, length)).has_value())
            << length;
    }
}

TEST(KlineStreamPath, SubscribesEverySymbolInLowerCase) {
    const std::vector<std::string> symbols{"BTCUSDT", "ETHUSDT"};
    const auto path = kline_stream_path(symbols, "1m");
    ASSERT_TRUE(path.has_value());
    EXPECT_EQ(*path, "/stream?streams=btcusdt@kline_1m/ethusdt@kline_1m");
}

TEST(KlineStreamPath, RefusesWhatBinanceWouldNotServe) {
    const std::vector<std::string> none;
    EXPECT_EQ(kline_stream_path(none, "1m").error().field, "symbols");
    const std::vector<std::string> one{"BTCUSDT"};
    EXPECT_EQ(kline_stream_path(one, "2m").error().field, "interval");
    const std::vector<std::string> lower{"btcusdt"};
    EXPECT_EQ(kline_stream_path(lower, "1m").error().field, "symbols");
    const std::vector<std::string> twice{"BTCUSDT", "BTCUSDT"};
    EXPECT_EQ(kline_stream_path(twice, "1m").error().field, "symbols");
}

Kline update(std::string symbol, std::int64_t open_ms, std::string_view close,
             std::string_view volume) {
    Kline k;
    k.symbol = std::move(symbol);
    k.interval = "1m";
    k.open_ms = open_ms;
    k.close_ms = open_ms + 59'999;
    k.open = k.high = k.low = k.close = dec(close);
    k.volume = dec(volume);
    return k;
}

TEST(TickFromKlines, CarriesTheVolumeTradedSinceThePreviousUpdate) {
    TickFromKlines ticks;
    const auto first = ticks.on_update(update("BTCUSDT", 60'000, "100", "2"), 61'000);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->symbol, "BTCUSDT");
    EXPECT_EQ(first->price, dec("100"));
    EXPECT_EQ(first->volume, dec("2"));
    EXPECT_EQ(first->ts_ms, 61'000);

    const auto more = ticks.on_update(update("BTCUSDT", 60'000, "101", "2.5"), 63'000);
    ASSERT_TRUE(more);
    EXPECT_EQ(more->price, dec("101"));
    EXPECT_EQ(more->volume, dec("0.5"));
    EXPECT_EQ(more->ts_ms, 63'000);

    const auto quiet = ticks.on_update(update("BTCUSDT", 60'000, "101", "2.5"), 65'000);
    ASSERT_TRUE(quiet);
    EXPECT_EQ(quiet->volume, Decimal{});

    const auto next = ticks.on_update(update("BTCUSDT", 120'000, "102", "0.7"), 121'000);
    ASSERT_TRUE(next);
    EXPECT_EQ(next->volume, dec("0.7"));
}

TEST(TickFromKlines, DropsUpdatesThatGoBackInTime) {
    TickFromKlines ticks;
    ASSERT_TRUE(ticks.on_update(update("BTCUSDT", 120'000, "100", "2"), 121'000));
    EXPECT_FALSE(ticks.on_update(update("BTCUSDT", 60'000, "99", "9"), 122'000));
    EXPECT_FALSE(ticks.on_update(update("BTCUSDT", 120'000, "99", "1"), 122'000));
    EXPECT_FALSE(ticks.on_update(update("BTCUSDT", 120'000, "99", "3"), 120'500));
    // Another symbol has a clock of its own.
    const auto other = ticks.on_update(update("ETHUSDT", 60'000, "10", "4"), 61'000);
    ASSERT_TRUE(other);
    EXPECT_EQ(other->volume, dec("4"));
}

TEST(TickFromKlines, DropsTheSameUpdateSentAgain) {
    TickFromKlines ticks;
    ASSERT_TRUE(ticks.on_update(update("BTCUSDT", 60'000, "100", "2"), 61'000));
    EXPECT_FALSE(ticks.on_update(update("BTCUSDT", 60'000, "100", "2"), 61'000));
    const auto more = ticks.on_update(update("BTCUSDT", 60'000, "101", "3"), 61'000);
    ASSERT_TRUE(more);  // news at the same millisecond
    EXPECT_EQ(more->volume, dec("1"));
}

TEST(TickFromKlines, ReplaysClosedKlinesAtTheirCloseTime) {
    TickFromKlines ticks;
    auto k = update("BTCUSDT", 0, "100", "3");
    const auto tick = ticks.on_update(k, k.close_ms);
    ASSERT_TRUE(tick);
    EXPECT_EQ(tick->ts_ms, 59'999);
    EXPECT_EQ(tick->volume, dec("3"));
}

}  // namespace
}  // namespace botcore::market
