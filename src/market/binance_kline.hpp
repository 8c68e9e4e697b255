// Binance klines (candlesticks) as they arrive from the public data dumps (CSV) and from the
// kline WebSocket stream (JSON), and the ticks a stream of kline updates stands for. Pure.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "domain/decimal.hpp"
#include "ports/feed.hpp"

namespace botcore::market {

struct Kline {
    std::string symbol;    // upper case, e.g. BTCUSDT
    std::string interval;  // Binance's name: 1s, 1m, 3m, ..., 1d, 3d, 1w, 1M
    std::int64_t open_ms = 0;
    std::int64_t close_ms = 0;  // the interval's last millisecond (open_ms + length - 1)
    domain::Decimal open;
    domain::Decimal high;
    domain::Decimal low;
    domain::Decimal close;
    domain::Decimal volume;        // base asset, cumulative since open_ms
    domain::Decimal quote_volume;  // quote asset (USDT), cumulative since open_ms
    std::int64_t trades = 0;
    bool closed = false;  // the final update of its interval (always true in a data dump)

    bool operator==(const Kline&) const = default;
};

// One message of the kline stream.
struct KlineEvent {
    std::int64_t event_ms = 0;  // "E": when Binance sent the update
    Kline kline;
};

struct KlineError {
    // The CSV column ("open", "close_time") or JSON member ("k.o", "E") at fault; empty when
    // the line or message as a whole is wrong (not JSON, too few columns).
    std::string field;
    std::string message;
};

// One line of a data-dump CSV (open time, open, high, low, close, volume, close time, quote
// volume, trades, taker buy base volume, taker buy quote volume, ignore; the last three may be
// absent). Times in microseconds (dumps from 2025 on) become milliseconds. A header line or a
// blank line gives nullopt. symbol and interval come from the file name.
std::expected<std::optional<Kline>, KlineError> parse_kline_csv(std::string_view line,
                                                                std::string_view symbol,
                                                                std::string_view interval);

// One WebSocket message, raw ({"e":"kline",...}) or combined ({"stream":...,"data":{...}}).
std::expected<KlineEvent, KlineError> parse_kline_message(std::string_view json);

// True for the interval names Binance's kline streams and dumps use.
bool is_kline_interval(std::string_view interval);

// The request target subscribing to the kline streams of symbols through Binance's
// combined-stream endpoint: /stream?streams=btcusdt@kline_1m/ethusdt@kline_1m.
std::expected<std::string, KlineError> kline_stream_path(std::span<const std::string> symbols,
                                                         std::string_view interval);

// Turns successive updates of klines into ticks, for any number of symbols. A kline's volume
// is cumulative over its interval, so a tick carries what was traded since the previous update
// of the same kline, or the whole volume of a kline seen for the first time.
class TickFromKlines {
  public:
    // ts_ms: the event time for a live update, or the kline's close_ms when replaying. Nullopt
    // for an update older than the last one of its symbol (an earlier kline, a smaller
    // cumulative volume or an earlier ts_ms), so ticks of a symbol never go back in time.
    std::optional<ports::Tick> on_update(const Kline& kline, std::int64_t ts_ms);

  private:
    struct Last {
        std::int64_t open_ms = 0;
        domain::Decimal volume;
        std::int64_t ts_ms = 0;
    };
    std::map<std::string, Last, std::less<>> last_;
};

}  // namespace botcore::market
