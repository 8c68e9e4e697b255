// CandleBook: what happens to the candles a tick closes when the store fails to save them.
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

    void save_candle(std::string_view, Interval, const Candle&,
                     std::function<void(bool stored)> done) override {
        ++saves;
        if (done) {
            done(stores);
        }
    }
    std::vector<Candle> candles(std::string_view, Interval, std::optional<std::int64_t>,
                                int) override {
        return {};
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

}  // namespace
}  // namespace botcore::market
