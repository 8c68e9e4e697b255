// TradingService on each real store (SQLite and PostgreSQL): answers after commit, triggers,
// funding, and one command at a time per user.
#include "engine/trading_service.hpp"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "store_engines.hpp"
#include "test_support.hpp"

namespace botcore::engine {
namespace {

using domain::Decimal;

Decimal d(std::string_view text) {
    return *Decimal::parse(text);
}

template <class T>
std::expected<T, TradingError> wait(const std::function<void(Reply<T>)>& call) {
    std::promise<std::expected<T, TradingError>> result;
    call([&result](std::expected<T, TradingError> r) { result.set_value(std::move(r)); });
    return result.get_future().get();
}

class TradingServiceTest : public testing::EngineTest {
  protected:
    TradingServiceTest() : store(engine_->store()), trading(store, prices, clock, settings()) {
        add_user("u1");
    }

    static TradingSettings settings() {
        TradingSettings s;
        s.slippage = domain::SlippageModel::none();
        return s;
    }

    void add_user(const std::string& id) {
        ports::NewUser user{
            {id, id + "@example.com", id, clock.now_ms()}, "hash", Decimal::from_integer(10000)};
        ASSERT_TRUE(store.create_user(user, {id, "", "register", "", clock.now_ms()}).has_value());
    }

    void price(const std::string& symbol, std::string_view value) {
        std::promise<void> done;
        trading.on_price(symbol, d(value), clock.now_ms(), [&done] { done.set_value(); });
        done.get_future().get();
    }

    std::expected<PlacedOrder, TradingError> market(const std::string& user, domain::Side side,
                                                    std::string_view quantity,
                                                    std::optional<Decimal> stop_loss = {}) {
        domain::OrderRequest request;
        request.symbol = "ETHUSDT";
        request.side = side;
        request.quantity = d(quantity);
        request.stop_loss = stop_loss;
        return wait<PlacedOrder>([&](Reply<PlacedOrder> reply) {
            trading.place_order(user, request, std::move(reply));
        });
    }

    testing::ManualClock clock;
    ports::StoreEngine& store;
    market::PriceBook prices;
    TradingService trading;
};

TEST_P(TradingServiceTest, AnAnsweredOrderIsAlreadyInTheStore) {
    price("ETHUSDT", "2000");
    auto placed = market("u1", domain::Side::kBuy, "1");
    ASSERT_TRUE(placed.has_value());
    const auto stored = store.find_order("u1", placed->order.id);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->status, domain::OrderStatus::kFilled);
    EXPECT_EQ(store.load_portfolio("u1")->positions.at("ETHUSDT").quantity, d("1"));
}

TEST_P(TradingServiceTest, WithoutAMarketPriceAnOrderIsUnavailableAndChangesNothing) {
    auto placed = market("u1", domain::Side::kBuy, "1");
    ASSERT_FALSE(placed.has_value());
    EXPECT_EQ(placed.error().kind, TradingErrorKind::kUnavailable);
    EXPECT_TRUE(store.load_portfolio("u1")->positions.empty());
}

TEST_P(TradingServiceTest, APriceReachingAStopLossClosesThePositionBeforeDoneIsCalled) {
    price("ETHUSDT", "2000");
    ASSERT_TRUE(market("u1", domain::Side::kBuy, "1", d("1900")).has_value());
    price("ETHUSDT", "1950");
    EXPECT_FALSE(store.load_portfolio("u1")->positions.empty());
    price("ETHUSDT", "1899");
    EXPECT_TRUE(store.load_portfolio("u1")->positions.empty());
    const auto trades = store.all_trades("u1");
    ASSERT_EQ(trades.size(), 1u);
    EXPECT_EQ(trades[0].close_reason, domain::CloseReason::kStopLoss);
}

TEST_P(TradingServiceTest, FundingIsChargedOncePerPeriod) {
    price("ETHUSDT", "2000");
    ASSERT_TRUE(market("u1", domain::Side::kBuy, "1").has_value());
    const auto balance = [&] { return store.load_portfolio("u1")->account.balance; };
    const auto funding_paid = [&] { return store.load_portfolio("u1")->account.funding_paid; };

    clock.advance_ms(8LL * 3600 * 1000);  // into the next period
    trading.charge_funding();
    store.flush();
    const auto after_first = balance();
    // 0.01% of 2000 notional, paid by the long
    EXPECT_EQ(funding_paid(), d("0.2"));

    trading.charge_funding();  // same period: nothing more
    store.flush();
    EXPECT_EQ(balance(), after_first);

    clock.advance_ms(8LL * 3600 * 1000);
    trading.charge_funding();
    store.flush();
    EXPECT_EQ(funding_paid(), d("0.4"));
}

TEST_P(TradingServiceTest, ConcurrentOrdersOfOneUserAllCommitAndAgreeWithTheStore) {
    price("ETHUSDT", "2000");
    std::vector<std::thread> threads;
    std::atomic<int> filled{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 10; ++i) {
                auto placed = market(
                    "u1", (t + i) % 2 == 0 ? domain::Side::kBuy : domain::Side::kSell, "0.1");
                if (placed) {
                    ++filled;
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(filled.load(), 40);
    const auto view = trading.account("u1");
    ASSERT_TRUE(view.has_value());
    const auto stored = store.load_portfolio("u1");
    EXPECT_EQ(view->balance, stored->account.balance);
    EXPECT_EQ(view->fees_paid, stored->account.fees_paid);
    // 40 fills of 0.1 ETH at 2000, taker 0.04% each: 40 * 0.08
    EXPECT_EQ(stored->account.fees_paid, d("3.2"));
}

TEST_P(TradingServiceTest, BooksWithTriggersAreLoadedAfterARestart) {
    price("ETHUSDT", "2000");
    ASSERT_TRUE(market("u1", domain::Side::kBuy, "1", d("1900")).has_value());
    store.flush();
    market::PriceBook fresh_prices;
    TradingService restarted(store, fresh_prices, clock, settings());
    EXPECT_EQ(restarted.load_open_books(), 1u);
    std::promise<void> done;
    restarted.on_price("ETHUSDT", d("1850"), clock.now_ms(), [&done] { done.set_value(); });
    done.get_future().get();
    EXPECT_TRUE(store.load_portfolio("u1")->positions.empty());
}

INSTANTIATE_TEST_SUITE_P(Engines, TradingServiceTest,
                         ::testing::ValuesIn(testing::kEngineNamesWithPooler),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace botcore::engine
