// A feed that replays recorded Binance klines from data-dump CSV files, on a thread of its own.
// Every kline becomes four ticks (kline_path.hpp); the ticks of all symbols are merged in time
// order and paced by a speed factor.
//
// Timestamps: by default each tick carries its recorded time (ReplayTime::kRecorded), so the
// candles built from a replay are the recorded candles, and /api/market/prices shows the
// recorded times (e.g. January 2024), not the time of the request. kShiftedToNow moves the whole
// replay by a whole number of hours so that it starts within the hour before start(): candle
// boundaries stay where they were, the prices look current at speed 1, and 7-day retention does
// not delete the replayed candles; at a speed above 1 the times run ahead of the wall clock.
// Either way the ticks of a symbol never go back in time, across files and loops.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "domain/symbol.hpp"
#include "ports/clock.hpp"
#include "ports/feed.hpp"

namespace botcore::market {

enum class ReplayTime { kRecorded, kShiftedToNow };

struct ReplayConfig {
    // CSV files, or directories whose *.csv files are all replayed. A file's symbol (and
    // interval) come from its name as Binance spells it: BTCUSDT-1m-2024-01.csv. Several files
    // of one symbol are replayed one after the other in name order (months, days).
    std::vector<std::filesystem::path> paths;
    // 1 = as recorded, 60 = one recorded minute per second, 0 = as fast as possible.
    int speed = 60;
    // At the end, start over with the times moved forward past the end of the data.
    bool loop = false;
    ReplayTime time = ReplayTime::kRecorded;
    // When set, a file of a symbol it does not list is refused.
    const domain::SymbolCatalog* catalog = nullptr;
    // When set, files of symbols it does not list are left out (symbols not traded here).
    const domain::SymbolCatalog* only = nullptr;
};

struct ReplaySource {
    std::string symbol;
    std::string interval;                      // from the file names; empty when they do not say
    std::vector<std::filesystem::path> files;  // in replay order
};

struct ReplayStats {
    std::uint64_t ticks = 0;
    std::uint64_t klines = 0;
    // Malformed lines, and klines that do not start after the previous one of their symbol.
    std::uint64_t skipped_lines = 0;
    std::uint64_t passes = 0;  // completed passes over the data
};

class ReplayFeed final : public ports::Feed {
    struct Key {
        explicit Key() = default;
    };

  public:
    // Finds the files and checks the configuration; the files are read by the feed's thread.
    // clock (for kShiftedToNow) must outlive the feed.
    static std::expected<std::unique_ptr<ReplayFeed>, std::string> open(ReplayConfig config,
                                                                        const ports::Clock& clock);
    ReplayFeed(Key, ReplayConfig config, std::vector<ReplaySource> sources,
               const ports::Clock& clock);  // through open()
    ~ReplayFeed() override;                 // stops
    ReplayFeed(const ReplayFeed&) = delete;
    ReplayFeed& operator=(const ReplayFeed&) = delete;

    using ports::Feed::start;
    // Once; a second call, or one after stop(), does nothing. on_time hears the end of the data
    // at the end of every pass (the last kline's close time + 1 ms, shifted like the ticks).
    void start(OnTick on_tick, OnTime on_time) override;
    void stop() override;
    ports::FeedHealth health() const override { return health_.load(); }

    ReplayStats stats() const;
    // The last line skipped and why ("BTCUSDT-1m-2024-01.csv:17: column 3 (high) ..."), or
    // empty. Each skip is counted in stats().skipped_lines.
    std::string last_problem() const;
    const std::vector<ReplaySource>& sources() const { return sources_; }

  private:
    class Cursor;

    void run(const OnTick& on_tick, const OnTime& on_time);
    // Runs a consumer's callback; what it throws is kept as the last problem.
    template <typename Call>
    void deliver(Call&& call);
    // Waits until the steady clock reaches `when` or stop() is called; false when stopped.
    bool wait_until(std::chrono::steady_clock::time_point when);
    void skipped(std::string problem);

    ReplayConfig config_;
    std::vector<ReplaySource> sources_;
    const ports::Clock& clock_;
    std::atomic<ports::FeedHealth> health_{ports::FeedHealth::kStarting};
    std::atomic<std::uint64_t> ticks_{0};
    std::atomic<std::uint64_t> klines_{0};
    std::atomic<std::uint64_t> skipped_lines_{0};
    std::atomic<std::uint64_t> passes_{0};
    mutable std::mutex mutex_;  // guards the members below
    std::condition_variable wake_;
    bool started_ = false;
    bool stopping_ = false;
    std::string last_problem_;
    std::thread thread_;
};

}  // namespace botcore::market
