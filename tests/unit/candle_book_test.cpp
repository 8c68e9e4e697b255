// CandleBook: how the candles a tick closes are stored, and what a failed save does.
#include "market/candle_book.hpp"

#include <gtest/gtest.h>

namespace botcore::market {
namespace {

using domain::Decimal;

// Answers every save at once, stored or failed as told.
class ScriptedMarketStore final : public ports::MarketStore {
  public:
    bool stores = true;
    int saves = 0;
    std::vector<CandleSave> hows;

    void save_candle(std::string_view, Interval, const Candle&,
                     std::function<void(bool stored)> done, CandleSave how) override {
        ++saves;
        hows.push_back(how);
        if (done) {
            done(stores);
        }
    }
    std::vector<Candle> stored;  // what candles() answers, oldest first (at most `limit`)
    std::vector<Candle> candles(std::string_view, Interval, std::optional<std::int64_t>,
                                int limit) override {
        const auto keep = std::min<std::size_t>(stored.size(), static_cast<std::size_t>(limit));
        return {stored.end() - static_cast<std::ptrdiff_t>(keep), stored.end()};
    }
    std::int64_t delete_candles_before(std::int64_t) override { return 0; }
    void save_analysis(std::string_view, StoredAnalysis) override {}
    std::optional<StoredAnalysis> find_analysis(std::string_view) override { return std::nullopt; }
};

constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kT0 = 1'795'000'000'000 - 1'795'000'000'000 % kHour;

TEST(CandleBook, CandlesTheStoreFailedToSaveAreCountedAndTheTickStillCompletes) {
    ScriptedMarketStore store;
    CandleBook book(store);
    const auto price = Decimal::from_integer(100);
    book.on_tick("BTCUSDT", price, Decimal{}, kT0 + 1);
    int done = 0;
    store.stores = false;
    // The next hour closes all four intervals' candles.
    const auto result =
        book.on_tick("BTCUSDT", price, Decimal{}, kT0 + kHour + 1, [&done] { ++done; });
    EXPECT_EQ(result.closed.size(), 4u);
    EXPECT_EQ(store.saves, 4);
    EXPECT_EQ(book.failed_saves(), 4u);
    EXPECT_EQ(done, 1);
    store.stores = true;
    book.on_tick("BTCUSDT", price, Decimal{}, kT0 + kHour + 60'001, [&done] { ++done; });
    EXPECT_EQ(store.saves, 5);
    EXPECT_EQ(book.failed_saves(), 4u);
    EXPECT_EQ(done, 2);
}

using Save = ports::MarketStore::CandleSave;

TEST(CandleBook, TheFirstCandlesAfterAStartOnlyFillGapsAndLaterOnesReplace) {
    ScriptedMarketStore store;
    CandleBook book(store);
    const auto price = Decimal::from_integer(100);
    book.on_tick("BTCUSDT", price, Decimal{}, kT0 + 30'000);  // half a minute in
    book.on_tick("BTCUSDT", price, Decimal{}, kT0 + kHour + 1);
    EXPECT_EQ(store.hows, std::vector<Save>(4, Save::kIfAbsent));
    book.on_tick("BTCUSDT", price, Decimal{}, kT0 + kHour + 60'001);
    ASSERT_EQ(store.hows.size(), 5u);
    EXPECT_EQ(store.hows.back(), Save::kReplace);
}

TEST(CandleBook, AnInstanceThatDoesNotStoreStillClosesCandles) {
    ScriptedMarketStore store;
    bool leads = false;
    CandleBook book(store, [&leads] { return leads; });
    const auto price = Decimal::from_integer(100);
    book.on_tick("BTCUSDT", price, Decimal{}, kT0 + 1);
    int done = 0;
    const auto result =
        book.on_tick("BTCUSDT", price, Decimal{}, kT0 + 60'001, [&done] { ++done; });
    EXPECT_EQ(result.closed.size(), 1u);
    EXPECT_EQ(done, 1);
    EXPECT_EQ(store.saves, 0);
    leads = true;  // took the lead
    book.on_tick("BTCUSDT", price, Decimal{}, kT0 + 120'001);
    EXPECT_EQ(store.saves, 1);
}

TEST(CandleBook, TheFeedsTimeClosesAndStoresEverySymbolsEndedCandles) {
    ScriptedMarketStore store;
    bool leads = true;
    CandleBook book(store, [&leads] { return leads; });
    const auto price = Decimal::from_integer(100);
    book.on_tick("BTCUSDT", price, Decimal{}, kT0 + 1);
    book.on_tick("ETHUSDT", price, Decimal{}, kT0 + 30'000);
    book.on_tick("BTCUSDT", price, Decimal{}, kT0 + 60'001);  // closes BTC's first minute
    ASSERT_EQ(store.saves, 1);
    const auto closed = book.close_until(kT0 + 120'000);
    ASSERT_EQ(closed.size(), 2u);
    EXPECT_EQ(closed[0].symbol, "BTCUSDT");
    EXPECT_EQ(closed[0].closed.candle.open_ms, kT0 + 60'000);
    EXPECT_EQ(closed[1].symbol, "ETHUSDT");
    EXPECT_EQ(closed[1].closed.candle.open_ms, kT0);
    EXPECT_EQ(store.saves, 3);
    // ETH's first candle may have missed ticks; BTC's second saw them all.
    EXPECT_EQ(store.hows.back(), Save::kIfAbsent);
    EXPECT_EQ(store.hows[1], Save::kReplace);
    // Candles closed where they are not stored are still closed.
    leads = false;
    EXPECT_EQ(book.close_until(kT0 + kHour).size(), 6u);
    EXPECT_EQ(store.saves, 3);
    EXPECT_TRUE(book.close_until(kT0 + kHour).empty());
}

TEST(CandleBook, ReadsEndWithTheOpenCandleUnlessItIsStoredClosedAlready) {
    ScriptedMarketStore store;
    CandleBook book(store);
    const auto price = Decimal::from_integer(100);
    const Candle earlier{kT0, price, price, price, price, Decimal{}, true};
    store.stored = {earlier};
    book.on_tick("BTCUSDT", price, Decimal{}, kT0 + 60'001);
    auto read = book.candles("BTCUSDT", Interval::k1m, std::nullopt, 2);
    ASSERT_EQ(read.size(), 2u);
    EXPECT_EQ(read[0], earlier);
    EXPECT_FALSE(read[1].closed);
    EXPECT_EQ(read[1].open_ms, kT0 + 60'000);
    EXPECT_EQ(book.candles("BTCUSDT", Interval::k1m, std::nullopt, 1).size(), 1u);
    // Another instance closed and stored the minute this one still builds: shown once, closed.
    const Candle other{kT0 + 60'000, price, price, price, price, Decimal::from_integer(3), true};
    store.stored.push_back(other);
    read = book.candles("BTCUSDT", Interval::k1m, std::nullopt, 2);
    EXPECT_EQ(read, (std::vector<Candle>{earlier, other}));
}

}  // namespace
}  // namespace botcore::market
