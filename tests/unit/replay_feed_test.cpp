#include "market/replay_feed.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "../integration/test_support.hpp"
#include "market/kline_path.hpp"

namespace botcore::market {
namespace {

using namespace std::chrono_literals;
using domain::Decimal;

constexpr std::int64_t kT0 = 1704067200000;  // 2024-01-01T00:00:00Z
constexpr std::int64_t kHour = 3'600'000;

using testing::TempDir;

class FixedClock final : public ports::Clock {
  public:
    explicit FixedClock(std::int64_t now) : now_(now) {}
    std::int64_t now_ms() const override { return now_; }

  private:
    std::int64_t now_;
};

// A dump line for a one-minute kline opening at open_ms.
std::string line(std::int64_t open_ms, std::string_view o, std::string_view h, std::string_view l,
                 std::string_view c, std::string_view v) {
    return std::to_string(open_ms) + "," + std::string(o) + "," + std::string(h) + "," +
           std::string(l) + "," + std::string(c) + "," + std::string(v) + "," +
           std::to_string(open_ms + 59'999) + ",0,1,0,0,0\r\n";
}

std::string text(const ports::Tick& tick) {
    return tick.symbol + " " + tick.price.to_string() + " " + tick.volume.to_string() + " @" +
           std::to_string(tick.ts_ms);
}

// Collects ticks from the feed's thread.
class Recorder {
  public:
    ports::Feed::OnTick sink() {
        return [this](const ports::Tick& tick) {
            std::lock_guard lock(mutex_);
            ticks_.push_back(text(tick));
            raw_.push_back(tick);
        };
    }
    std::vector<std::string> ticks() const {
        std::lock_guard lock(mutex_);
        return ticks_;
    }
    std::vector<ports::Tick> raw() const {
        std::lock_guard lock(mutex_);
        return raw_;
    }
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return ticks_.size();
    }

  private:
    mutable std::mutex mutex_;
    std::vector<std::string> ticks_;
    std::vector<ports::Tick> raw_;
};

using testing::wait_for;

std::unique_ptr<ReplayFeed> open_feed(ReplayConfig config, const ports::Clock& clock) {
    auto feed = ReplayFeed::open(std::move(config), clock);
    EXPECT_TRUE(feed.has_value()) << (feed ? "" : feed.error());
    return feed ? std::move(*feed) : nullptr;
}

const FixedClock kClock(kT0 + 1000 * kHour);

TEST(KlinePath, VisitsTheLowFirstWhenTheKlineRises) {
    Kline k{"BTCUSDT",
            "1m",
            kT0,
            kT0 + 59'999,
            Decimal::from_integer(100),
            Decimal::from_integer(110),
            Decimal::from_integer(95),
            Decimal::from_integer(105),
            Decimal::from_integer(4),
            Decimal{},
            1,
            true};
    const auto path = kline_path(k);
    std::vector<std::string> texts;
    for (const auto& tick : path) {
        texts.push_back(text(tick));
    }
    EXPECT_EQ(texts, (std::vector<std::string>{
                         "BTCUSDT 100 1 @" + std::to_string(kT0),
                         "BTCUSDT 95 1 @" + std::to_string(kT0 + 20'000),
                         "BTCUSDT 110 1 @" + std::to_string(kT0 + 40'000),
                         "BTCUSDT 105 1 @" + std::to_string(kT0 + 59'999),
                     }));
}

TEST(KlinePath, VisitsTheHighFirstWhenTheKlineFallsAndKeepsEveryUnitOfVolume) {
    Kline k{"BTCUSDT",
            "1m",
            kT0,
            kT0 + 59'999,
            Decimal::from_integer(105),
            Decimal::from_integer(106),
            Decimal::from_integer(90),
            Decimal::from_integer(92),
            Decimal::from_units(7),
            Decimal{},
            1,
            true};
    const auto path = kline_path(k);
    EXPECT_EQ(path[1].price, Decimal::from_integer(106));
    EXPECT_EQ(path[2].price, Decimal::from_integer(90));
    EXPECT_EQ(path[0].volume, Decimal::from_units(1));
    EXPECT_EQ(path[3].volume, Decimal::from_units(4));
}

TEST(ReplayFeed, ReplaysKlinesAsFourTicksMergedByTime) {
    TempDir dir;
    dir.write("BTCUSDT-1m-2024-01.csv",
              "open_time,open,high,low,close,volume,close_time,quote_volume,count,"
              "taker_buy_volume,taker_buy_quote_volume,ignore\r\n" +
                  line(kT0, "100", "110", "95", "105", "4") +
                  line(kT0 + 60'000, "105", "106", "90", "92", "1.00000002"));
    dir.write("ETHUSDT-1m-2024-01.csv", line(kT0 + 60'000, "2000", "2010", "1990", "2005", "8"));
    dir.write("notes.txt", "not a kline file");
    auto feed = open_feed({.paths = {dir.path()}, .speed = 0}, kClock);
    ASSERT_TRUE(feed);
    EXPECT_EQ(feed->health(), ports::FeedHealth::kStarting);
    ASSERT_EQ(feed->sources().size(), 2u);
    EXPECT_EQ(feed->sources()[0].symbol, "BTCUSDT");
    EXPECT_EQ(feed->sources()[0].interval, "1m");

    Recorder recorder;
    feed->start(recorder.sink());
    ASSERT_TRUE(wait_for([&] { return feed->health() == ports::FeedHealth::kFinished; }));
    const auto t = [](std::int64_t offset) { return " @" + std::to_string(kT0 + offset); };
    EXPECT_EQ(recorder.ticks(), (std::vector<std::string>{
                                    "BTCUSDT 100 1" + t(0),
                                    "BTCUSDT 95 1" + t(20'000),
                                    "BTCUSDT 110 1" + t(40'000),
                                    "BTCUSDT 105 1" + t(59'999),
                                    "BTCUSDT 105 0.25" + t(60'000),
                                    "ETHUSDT 2000 2" + t(60'000),
                                    "BTCUSDT 106 0.25" + t(80'000),
                                    "ETHUSDT 1990 2" + t(80'000),
                                    "BTCUSDT 90 0.25" + t(100'000),
                                    "ETHUSDT 2010 2" + t(100'000),
                                    "BTCUSDT 92 0.25000002" + t(119'999),
                                    "ETHUSDT 2005 2" + t(119'999),
                                }));
    const auto stats = feed->stats();
    EXPECT_EQ(stats.ticks, 12u);
    EXPECT_EQ(stats.klines, 3u);
    EXPECT_EQ(stats.skipped_lines, 0u);
    EXPECT_EQ(stats.passes, 1u);
    feed->stop();
}

TEST(ReplayFeed, SkipsMalformedAndOutOfOrderLinesAndSaysWhere) {
    TempDir dir;
    const auto file = dir.write("BTCUSDT-1m-2024-01.csv",
                                line(kT0, "100", "100", "100", "100", "1") +
                                    "1704067260000,100,oops,100,100,1,1704067319999,0,1\n" +
                                    line(kT0, "100", "100", "100", "100", "1") +
                                    line(kT0 + 120'000, "101", "101", "101", "101", "1"));
    auto feed = open_feed({.paths = {file}, .speed = 0}, kClock);
    ASSERT_TRUE(feed);
    Recorder recorder;
    feed->start(recorder.sink());
    ASSERT_TRUE(wait_for([&] { return feed->health() == ports::FeedHealth::kFinished; }));
    EXPECT_EQ(recorder.size(), 8u);
    EXPECT_EQ(feed->stats().klines, 2u);
    EXPECT_EQ(feed->stats().skipped_lines, 2u);
    EXPECT_NE(feed->last_problem().find("BTCUSDT-1m-2024-01.csv:3:"), std::string::npos)
        << feed->last_problem();
}

TEST(ReplayFeed, ReadsTheFilesOfASymbolInNameOrder) {
    TempDir dir;
    constexpr std::int64_t kFeb = 1706745600000;  // 2024-02-01
    const auto feb = dir.write("BTCUSDT-1m-2024-02.csv",
                               // A newer dump: microsecond times.
                               std::to_string(kFeb * 1000) + ",2,2,2,2,4," +
                                   std::to_string((kFeb + 59'999) * 1000 + 999) + ",0,1,0,0,0\n");
    const auto jan = dir.write("BTCUSDT-1m-2024-01.csv", line(kT0, "1", "1", "1", "1", "4"));
    auto feed = open_feed({.paths = {feb, jan}, .speed = 0}, kClock);
    ASSERT_TRUE(feed);
    Recorder recorder;
    feed->start(recorder.sink());
    ASSERT_TRUE(wait_for([&] { return feed->health() == ports::FeedHealth::kFinished; }));
    const auto ticks = recorder.ticks();
    ASSERT_EQ(ticks.size(), 8u);
    EXPECT_EQ(ticks[0], "BTCUSDT 1 1 @" + std::to_string(kT0));
    EXPECT_EQ(ticks[4], "BTCUSDT 2 1 @" + std::to_string(kFeb));
    EXPECT_EQ(ticks[7], "BTCUSDT 2 1 @" + std::to_string(kFeb + 59'999));
}

TEST(ReplayFeed, LeavesOutTheFilesOfSymbolsNotTraded) {
    TempDir dir;
    const auto btc = dir.write("BTCUSDT-1m-2024-01.csv", line(kT0, "1", "1", "1", "1", "4"));
    const auto eth = dir.write("ETHUSDT-1m-2024-01.csv", line(kT0, "2", "2", "2", "2", "4"));
    auto only_btc = domain::SymbolCatalog::default_catalog().only("BTCUSDT");
    ASSERT_TRUE(only_btc);
    auto feed = open_feed({.paths = {dir.path()}, .speed = 0, .only = &*only_btc}, kClock);
    ASSERT_TRUE(feed);
    Recorder recorder;
    feed->start(recorder.sink());
    ASSERT_TRUE(wait_for([&] { return feed->health() == ports::FeedHealth::kFinished; }));
    const auto ticks = recorder.ticks();
    ASSERT_EQ(ticks.size(), 4u);
    EXPECT_TRUE(std::ranges::all_of(ticks, [](const auto& t) { return t.starts_with("BTCUSDT"); }));
    auto only_sol = domain::SymbolCatalog::default_catalog().only("SOLUSDT");
    auto none = ReplayFeed::open({.paths = {btc, eth}, .only = &*only_sol}, kClock);
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().find("none of the kline files"), std::string::npos);
}

TEST(ReplayFeed, LoopsWithTimesMovedForwardByWholeHours) {
    TempDir dir;
    const auto file =
        dir.write("BTCUSDT-1m-2024-01.csv",
                  line(kT0, "1", "1", "1", "1", "4") + line(kT0 + 60'000, "2", "2", "2", "2", "4"));
    auto feed = open_feed({.paths = {file}, .speed = 0, .loop = true}, kClock);
    ASSERT_TRUE(feed);
    Recorder recorder;
    feed->start(recorder.sink());
    ASSERT_TRUE(wait_for([&] { return recorder.size() >= 24; }));
    feed->stop();
    EXPECT_NE(feed->health(), ports::FeedHealth::kFinished);
    const auto ticks = recorder.raw();
    for (std::size_t i = 1; i < ticks.size(); ++i) {
        ASSERT_LT(ticks[i - 1].ts_ms, ticks[i].ts_ms) << i;
    }
    EXPECT_EQ(ticks[8].ts_ms, kT0 + kHour);
    EXPECT_EQ(ticks[16].ts_ms, kT0 + 2 * kHour);
    EXPECT_EQ(ticks[8].price, ticks[0].price);
    EXPECT_GE(feed->stats().passes, 2u);
}

TEST(ReplayFeed, TellsTheEndOfItsDataAfterEveryPassSoTheLastCandlesClose) {
    TempDir dir;
    const auto file =
        dir.write("BTCUSDT-1m-2024-01.csv",
                  line(kT0, "1", "1", "1", "1", "4") + line(kT0 + 60'000, "2", "2", "2", "2", "4"));
    std::mutex mutex;
    std::vector<std::int64_t> ends;
    std::size_t ticks_before_first_end = 0;
    Recorder recorder;
    auto feed = open_feed({.paths = {file}, .speed = 0, .loop = true}, kClock);
    ASSERT_TRUE(feed);
    feed->start(recorder.sink(), [&](std::int64_t ts_ms) {
        std::lock_guard lock(mutex);
        if (ends.empty()) {
            ticks_before_first_end = recorder.size();
        }
        ends.push_back(ts_ms);
    });
    ASSERT_TRUE(wait_for([&] {
        std::lock_guard lock(mutex);
        return ends.size() >= 2;
    }));
    feed->stop();
    std::lock_guard lock(mutex);
    // The last kline closes at kT0 + 119,999: the data covers every candle ending by +120,000.
    EXPECT_EQ(ends[0], kT0 + 120'000);
    EXPECT_EQ(ticks_before_first_end, 8u);
    EXPECT_EQ(ends[1], kT0 + kHour + 120'000);  // the second pass, an hour on
}

TEST(ReplayFeed, ShiftedToNowStartsWithinTheLastHourOnTheSameCandleBounds) {
    TempDir dir;
    const auto file =
        dir.write("ETHUSDT-1m-2024-01.csv", line(kT0 + 120'000, "1", "1", "1", "1", "4"));
    const FixedClock clock(kT0 + 500 * kHour + 1234);
    auto feed = open_feed({.paths = {file}, .speed = 0, .time = ReplayTime::kShiftedToNow}, clock);
    ASSERT_TRUE(feed);
    Recorder recorder;
    feed->start(recorder.sink());
    ASSERT_TRUE(wait_for([&] { return feed->health() == ports::FeedHealth::kFinished; }));
    const auto ticks = recorder.raw();
    ASSERT_EQ(ticks.size(), 4u);
    EXPECT_EQ(ticks[0].ts_ms, kT0 + 499 * kHour + 120'000);
    EXPECT_EQ(ticks[3].ts_ms, kT0 + 499 * kHour + 179'999);
}

TEST(ReplayFeed, PacesTicksBySpeedAndStopsPromptlyInTheMiddle) {
    TempDir dir;
    std::string klines;
    for (int i = 0; i < 60; ++i) {
        klines += line(kT0 + i * 60'000, "1", "1", "1", "1", "4");
    }
    const auto file = dir.write("BTCUSDT-1m-2024-01.csv", klines);
    // 600x: the second tick (20 s in) is due 33 ms after the first; the last one in 6 s.
    auto feed = open_feed({.paths = {file}, .speed = 600}, kClock);
    ASSERT_TRUE(feed);
    Recorder recorder;
    const auto began = std::chrono::steady_clock::now();
    feed->start(recorder.sink());
    ASSERT_TRUE(wait_for([&] { return recorder.size() >= 2; }));
    EXPECT_GE(std::chrono::steady_clock::now() - began, 30ms);

    const auto stopping = std::chrono::steady_clock::now();
    feed->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - stopping, 1s);
    const auto delivered = recorder.size();
    EXPECT_LT(delivered, 240u);
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(recorder.size(), delivered);  // nothing after stop()
}

TEST(ReplayFeed, StopsPromptlyAtRecordedSpeed) {
    TempDir dir;
    const auto file = dir.write("BTCUSDT-1m-2024-01.csv", line(kT0, "1", "1", "1", "1", "4"));
    auto feed = open_feed({.paths = {file}, .speed = 1}, kClock);
    ASSERT_TRUE(feed);
    Recorder recorder;
    feed->start(recorder.sink());
    ASSERT_TRUE(wait_for([&] { return recorder.size() == 1; }));
    const auto stopping = std::chrono::steady_clock::now();
    feed->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - stopping, 1s);
    EXPECT_EQ(recorder.size(), 1u);
}

TEST(ReplayFeed, StopFromInsideTheConsumerDoesNotDeadlock) {
    TempDir dir;
    const auto file = dir.write("BTCUSDT-1m-2024-01.csv", line(kT0, "1", "1", "1", "1", "4"));
    auto feed = open_feed({.paths = {file}, .speed = 0}, kClock);
    ASSERT_TRUE(feed);
    std::atomic<int> calls{0};
    feed->start([&](const ports::Tick&) {
        ++calls;
        feed->stop();
    });
    ASSERT_TRUE(wait_for([&] { return calls.load() >= 1; }));
    feed->stop();
    EXPECT_EQ(calls.load(), 1);
}

TEST(ReplayFeed, RefusesAConfigurationItCannotReplay) {
    TempDir dir;
    const auto error = [](ReplayConfig config) {
        auto feed = ReplayFeed::open(std::move(config), kClock);
        return feed ? std::string("<opened>") : feed.error();
    };
    EXPECT_NE(
        error({.paths = {std::filesystem::path(dir.path()) / "missing.csv"}}).find("no such file"),
        std::string::npos);
    EXPECT_NE(error({.paths = {dir.path()}}).find("no kline CSV"), std::string::npos);
    const auto doge = dir.write("DOGEUSDC-1m-2024-01.csv", "");
    const auto catalog = domain::SymbolCatalog(
        {{"BTCUSDT", Decimal::from_units(1), Decimal::from_units(1), Decimal{}, 1}});
    EXPECT_NE(error({.paths = {doge}, .catalog = &catalog}).find("unknown symbol DOGEUSDC"),
              std::string::npos);
    EXPECT_NE(error({.paths = {doge}, .speed = -1}).find("negative"), std::string::npos);
    const auto odd = dir.write("-1m.csv", "");
    EXPECT_NE(error({.paths = {odd}}).find("cannot tell the symbol"), std::string::npos);
    const auto hourly = dir.write("DOGEUSDC-1h-2024-01.csv", "");
    EXPECT_NE(error({.paths = {doge, hourly}}).find("different intervals"), std::string::npos);
}

}  // namespace
}  // namespace botcore::market
