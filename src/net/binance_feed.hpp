// The live feed: Binance's kline WebSocket stream (combined streams, one connection for every
// symbol), on an I/O thread of its own. Reconnects by itself with exponential backoff and full
// jitter, and after a read timeout; skips and counts malformed messages; never throws out of
// its thread. Boost.Beast stays behind the pimpl: including this header does not compile it.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "market/backoff.hpp"
#include "ports/feed.hpp"

namespace botcore::net {

struct BinanceFeedConfig {
    // ws:// or wss://host[:port][/prefix]; "/stream?streams=..." is appended to the prefix.
    std::string url = "wss://stream.binance.com:9443";
    std::vector<std::string> symbols;  // upper case: BTCUSDT
    std::string interval = "1m";       // any Binance kline interval
    // No message for this long: the connection is dropped and made again.
    std::chrono::milliseconds read_timeout{10'000};
    // For each of TCP connect, TLS handshake and WebSocket handshake.
    std::chrono::milliseconds connect_timeout{10'000};
    market::BackoffPolicy backoff;
    // Connections made and lost, and the first malformed message of a connection; called on
    // the feed's thread. Optional.
    std::function<void(std::string_view message)> on_log;
};

struct BinanceFeedStats {
    std::uint64_t messages = 0;    // data frames received
    std::uint64_t malformed = 0;   // of those, not a kline of a subscribed symbol (skipped)
    std::uint64_t ticks = 0;       // delivered to on_tick
    std::uint64_t connects = 0;    // WebSocket handshakes that succeeded
    std::uint64_t reconnects = 0;  // retries after a connection failed or was lost
};

class BinanceFeed final : public ports::Feed {
    struct Impl;
    struct Key {
        explicit Key() = default;
    };

  public:
    // Checks the URL (ws:// or wss://), the symbols and the interval; connects on start().
    static std::expected<std::unique_ptr<BinanceFeed>, std::string> create(
        BinanceFeedConfig config);
    BinanceFeed(Key, std::unique_ptr<Impl> impl);  // through create()
    ~BinanceFeed() override;                       // stops
    BinanceFeed(const BinanceFeed&) = delete;
    BinanceFeed& operator=(const BinanceFeed&) = delete;

    // Once; a second call, or one after stop(), does nothing.
    using ports::Feed::start;
    // A live stream's time is its ticks': on_time is never called.
    void start(OnTick on_tick, OnTime on_time) override;
    // Prompt: drops the connection or the wait for the next attempt; no graceful close.
    void stop() override;
    // kStarting until the first kline arrives, kOk while they arrive, kDegraded from a failed
    // or lost connection until a kline arrives again.
    ports::FeedHealth health() const override;

    BinanceFeedStats stats() const;
    // Why the last connection ended or the last message was skipped; empty at first.
    std::string last_error() const;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace botcore::net
