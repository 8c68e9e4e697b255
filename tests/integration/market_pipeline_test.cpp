// MarketPipeline on each real store: candles a feed's time closes without a tick of their own
// symbol are stored and analysed like those a tick closes.
#include "app/market_pipeline.hpp"

#include <gtest/gtest.h>

#include "adapters/inproc/local_event_bus.hpp"
#include "store_engines.hpp"
#include "test_support.hpp"

namespace botcore {
namespace {

using domain::Decimal;

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kHour = 3'600'000;
// Within the hour before the test clock, so the candles are not older than what is kept.
constexpr std::int64_t kT0 = 1'800'000'000'000 - 1'800'000'000'000 % kHour - kHour;

class MarketPipelineTest : public testing::EngineTest {
  protected:
    MarketPipelineTest()
        : store(engine_->store()),
          trading(store, prices, clock, engine::TradingSettings{}),
          candles(store),
          analysis(candles),
          bots(trading),
          hub({[](realtime::Hub::Task task) { task(); }}, 5),
          pipeline(candles, trading, analysis, bots, hub, store, bus) {}
    ~MarketPipelineTest() override { store.flush(); }

    void ticks(std::vector<ports::Tick> batch) { pipeline.on_ticks(batch); }

    static ports::Tick tick(std::string symbol, std::int64_t price, std::int64_t ts_ms) {
        return {std::move(symbol), Decimal::from_integer(price), Decimal::from_integer(1), ts_ms};
    }

    // The stored 1m candles of symbol opening before end_ms.
    std::vector<market::Candle> stored_minutes(const std::string& symbol, std::int64_t end_ms) {
        store.flush();
        return store.candles(symbol, market::Interval::k1m, end_ms, 10);
    }

    testing::ManualClock clock;
    ports::StoreEngine& store;
    market::PriceBook prices;
    engine::TradingService trading;
    market::CandleBook candles;
    engine::AnalysisService analysis;
    engine::BotService bots;
    realtime::Hub hub;
    adapters::inproc::LocalEventBus bus;
    MarketPipeline pipeline;
};

TEST_P(MarketPipelineTest, AQuietSymbolsCandleClosesOnceTheFeedsTimeIsPastItsEndAndTheMargin) {
    ticks({tick("BTCUSDT", 100, kT0 + 1000), tick("ETHUSDT", 2000, kT0 + 1000)});
    // ETH moves on; BTC stays quiet. Within the margin for late ticks BTC's minute stays open.
    ticks({tick("ETHUSDT", 2001, kT0 + kMinute + MarketPipeline::kLateTickMs - 1)});
    EXPECT_TRUE(stored_minutes("BTCUSDT", kT0 + kMinute).empty());
    EXPECT_FALSE(analysis.latest("BTCUSDT").has_value());
    ticks({tick("ETHUSDT", 2002, kT0 + kMinute + MarketPipeline::kLateTickMs)});
    const auto stored = stored_minutes("BTCUSDT", kT0 + kMinute);
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].open_ms, kT0);
    EXPECT_EQ(stored[0].close, Decimal::from_integer(100));
    EXPECT_TRUE(stored[0].closed);
    // The signal was computed when the candle closed, at the end of its minute.
    const auto signal = analysis.latest("BTCUSDT");
    ASSERT_TRUE(signal.has_value());
    EXPECT_EQ(signal->computed_ms, kT0 + kMinute);
    // The open candle is gone: the history ends with the closed one.
    const auto history = candles.candles("BTCUSDT", market::Interval::k1m, std::nullopt, 5);
    ASSERT_FALSE(history.empty());
    EXPECT_TRUE(history.back().closed);
}

TEST_P(MarketPipelineTest, TheEndOfAFeedsDataClosesTheCandlesItCovers) {
    ticks({tick("BTCUSDT", 100, kT0 + 1000), tick("BTCUSDT", 101, kT0 + kMinute - 1)});
    pipeline.close_candles(kT0 + kMinute);
    const auto stored = stored_minutes("BTCUSDT", kT0 + kMinute);
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].close, Decimal::from_integer(101));
    // The hour is not over: its candle is still being built.
    const auto hour = candles.candles("BTCUSDT", market::Interval::k1h, std::nullopt, 1);
    ASSERT_EQ(hour.size(), 1u);
    EXPECT_FALSE(hour[0].closed);
}

TEST_P(MarketPipelineTest, TheClockClosesAQuietFeedsCandlesButNeverAheadOfTheFeed) {
    ticks({tick("BTCUSDT", 100, kT0 + 1000)});
    // The clock is far ahead of the feed (a lagging stream): nothing the feed may still send
    // into is closed.
    pipeline.close_candles_on_clock(kT0 + 10 * kMinute);
    EXPECT_TRUE(stored_minutes("BTCUSDT", kT0 + kMinute).empty());
    // The feed stays quiet while the clock moves on past the minute and the margin.
    clock.advance_ms(kMinute + MarketPipeline::kLateTickMs - 1000 - 1);
    pipeline.close_candles_on_clock(clock.now_ms());
    EXPECT_TRUE(stored_minutes("BTCUSDT", kT0 + kMinute).empty());
    clock.advance_ms(1);
    pipeline.close_candles_on_clock(clock.now_ms());
    const auto stored = stored_minutes("BTCUSDT", kT0 + kMinute);
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].open_ms, kT0);
}

INSTANTIATE_TEST_SUITE_P(Engines, MarketPipelineTest, ::testing::ValuesIn(testing::kEngineNames),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace botcore
