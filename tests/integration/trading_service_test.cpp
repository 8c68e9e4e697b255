// TradingService on each real store (SQLite and PostgreSQL): answers after commit, triggers,
// funding, one command at a time per user, and what a store failure leaves behind.
#include "engine/trading_service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <exception>
#include <future>
#include <memory>
#include <thread>

#include "forwarding_trading_store.hpp"
#include "store_engines.hpp"
#include "test_support.hpp"

namespace botcore::engine {
namespace {

using domain::Decimal;

Decimal d(std::string_view text) {
    return *Decimal::parse(text);
}

// The command's answer; throws std::future_error if the service dropped the reply unanswered.
template <class T>
std::expected<T, TradingError> wait(const std::function<void(Reply<T>)>& call) {
    auto result = std::make_shared<std::promise<std::expected<T, TradingError>>>();
    auto answer = result->get_future();
    call([result](std::expected<T, TradingError> r) { result->set_value(std::move(r)); });
    result.reset();
    return answer.get();
}

// The store under test, with failures the test arms as when the database cannot be reached:
// the next commits fail, or reads of books or of orders throw.
class FlakyStore final : public testing::ForwardingTradingStore {
  public:
    using ForwardingTradingStore::ForwardingTradingStore;

    void fail_next_commits(int count) { failing_commits_ = count; }
    void fail_book_reads(bool fail) { failing_book_reads_ = fail; }
    void fail_order_reads(bool fail) { failing_order_reads_ = fail; }
    int book_reads() const { return book_reads_; }

    std::optional<domain::PortfolioState> load_portfolio(std::string_view user_id) override {
        ++book_reads_;
        throw_if(failing_book_reads_);
        return inner_.load_portfolio(user_id);
    }
    std::optional<std::int64_t> book_revision(std::string_view user_id) override {
        throw_if(failing_book_reads_);
        return inner_.book_revision(user_id);
    }
    void commit(ports::TradingWrite write, Done done) override {
        int left = failing_commits_.load();
        while (left > 0 && !failing_commits_.compare_exchange_weak(left, left - 1)) {
        }
        if (left > 0) {
            done(std::make_exception_ptr(ports::StoreUnavailable("commit failed (armed)")));
            return;
        }
        inner_.commit(std::move(write), std::move(done));
    }
    std::optional<domain::Order> find_order(std::string_view user_id,
                                            std::string_view order_id) override {
        throw_if(failing_order_reads_);
        return inner_.find_order(user_id, order_id);
    }
    std::optional<domain::Order> find_order_by_client_id(
        std::string_view user_id, std::string_view client_order_id) override {
        throw_if(failing_order_reads_);
        return inner_.find_order_by_client_id(user_id, client_order_id);
    }
    std::vector<domain::Fill> fills(std::string_view user_id, std::string_view order_id) override {
        throw_if(failing_order_reads_);
        return inner_.fills(user_id, order_id);
    }

  private:
    static void throw_if(bool failing) {
        if (failing) {
            throw ports::StoreUnavailable("read failed (armed)");
        }
    }

    std::atomic<int> failing_commits_{0};
    std::atomic<bool> failing_book_reads_{false};
    std::atomic<bool> failing_order_reads_{false};
    std::atomic<int> book_reads_{0};
};

void price_on(TradingService& service, const ports::Clock& clock, const std::string& symbol,
              std::string_view value) {
    std::promise<void> done;
    service.on_price(symbol, d(value), clock.now_ms(), [&done] { done.set_value(); });
    done.get_future().get();
}

domain::OrderRequest market_order(const std::string& symbol, domain::Side side,
                                  std::string_view quantity,
                                  std::optional<Decimal> stop_loss = {}) {
    domain::OrderRequest request;
    request.symbol = symbol;
    request.side = side;
    request.quantity = d(quantity);
    request.stop_loss = stop_loss;
    return request;
}

class TradingServiceTest : public testing::EngineTest {
  protected:
    TradingServiceTest()
        : store(engine_->store()), flaky(store), trading(flaky, prices, clock, settings()) {
        add_user("u1");
    }
    // A reply can come before its step has ended on the store's threads (an answer sent from
    // inside a command): they finish before the service goes, as at the server's shutdown.
    ~TradingServiceTest() override { store.flush(); }

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
        price_on(trading, clock, symbol, value);
    }

    std::expected<PlacedOrder, TradingError> place(const std::string& user,
                                                   const domain::OrderRequest& request) {
        return wait<PlacedOrder>([&](Reply<PlacedOrder> reply) {
            trading.place_order(user, request, std::move(reply));
        });
    }

    std::expected<PlacedOrder, TradingError> market(const std::string& user, domain::Side side,
                                                    std::string_view quantity,
                                                    std::optional<Decimal> stop_loss = {}) {
        return place(user, market_order("ETHUSDT", side, quantity, stop_loss));
    }

    std::expected<domain::Order, TradingError> cancel(const std::string& user,
                                                      const std::string& order_id) {
        return wait<domain::Order>([&](Reply<domain::Order> reply) {
            trading.cancel_order(user, order_id, std::move(reply));
        });
    }

    // u1 long 1 ETHUSDT from 2000 with its stop loss at 1900, stored.
    void open_long_stopped_at_1900() {
        price("ETHUSDT", "2000");
        ASSERT_TRUE(market("u1", domain::Side::kBuy, "1", d("1900")).has_value());
        store.flush();
    }

    bool holds(const std::string& user, const std::string& symbol) {
        return store.load_portfolio(user)->positions.contains(symbol);
    }

    // No position left on symbol, and the user's only trade was closed by its stop-loss.
    void expect_stopped_out(const std::string& user, const std::string& symbol) {
        EXPECT_FALSE(holds(user, symbol));
        const auto trades = store.all_trades(user).trades;
        ASSERT_EQ(trades.size(), 1u);
        EXPECT_EQ(trades[0].close_reason, domain::CloseReason::kStopLoss);
    }

    testing::ManualClock clock;
    ports::StoreEngine& store;
    FlakyStore flaky;  // what the service uses: the store, with failures the test arms
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
    const auto trades = store.all_trades("u1").trades;
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
    open_long_stopped_at_1900();
    market::PriceBook fresh_prices;
    TradingService restarted(store, fresh_prices, clock, settings());
    EXPECT_EQ(restarted.load_open_books(), 1u);
    price_on(restarted, clock, "ETHUSDT", "1850");
    EXPECT_TRUE(store.load_portfolio("u1")->positions.empty());
}

// Another instance taking the book over, which received a price beyond the stop while the book
// was not its own.
TEST_P(TradingServiceTest, ABookTakenOverAtARecentPriceBeyondItsStopIsClosedAsItLoads) {
    open_long_stopped_at_1900();
    market::PriceBook other_prices;
    TradingService other(store, other_prices, clock, settings());
    price_on(other, clock, "ETHUSDT", "1850");  // no book of its own yet
    clock.advance_ms(10'000);
    EXPECT_EQ(other.load_open_books(), 1u);
    EXPECT_TRUE(testing::wait_for([&] { return !holds("u1", "ETHUSDT"); }));
    expect_stopped_out("u1", "ETHUSDT");
}

TEST_P(TradingServiceTest, ABookTakenOverAtAnOlderPriceBeyondItsStopWaitsForTheNextPrice) {
    open_long_stopped_at_1900();
    market::PriceBook other_prices;
    TradingService other(store, other_prices, clock, settings());
    price_on(other, clock, "ETHUSDT", "1850");
    clock.advance_ms(10'001);
    EXPECT_EQ(other.load_open_books(), 1u);
    // A command of the book runs after the load and its commit, had there been one.
    std::promise<void> after;
    other.cancel_order("u1", "no-such-order", [&after](const auto&) { after.set_value(); });
    after.get_future().get();
    EXPECT_TRUE(holds("u1", "ETHUSDT"));
    price_on(other, clock, "ETHUSDT", "1850");
    expect_stopped_out("u1", "ETHUSDT");
}

TEST_P(TradingServiceTest, AStopWhoseCloseFailsToCommitClosesThePositionOnALaterPrice) {
    price("ETHUSDT", "2000");
    ASSERT_TRUE(market("u1", domain::Side::kBuy, "1", d("1900")).has_value());
    flaky.fail_next_commits(1);
    price("ETHUSDT", "1899");  // reaches the stop; the close is not stored
    EXPECT_TRUE(holds("u1", "ETHUSDT"));
    EXPECT_TRUE(trading.watches("u1", "ETHUSDT"));

    price("ETHUSDT", "1890");
    expect_stopped_out("u1", "ETHUSDT");
}

TEST_P(TradingServiceTest, AResetThatFailsToCommitLeavesTheStopOfEverySymbolArmed) {
    price("ETHUSDT", "2000");
    price("BTCUSDT", "50000");
    ASSERT_TRUE(market("u1", domain::Side::kBuy, "1", d("1900")).has_value());
    ASSERT_TRUE(
        place("u1", market_order("BTCUSDT", domain::Side::kBuy, "0.01", d("45000"))).has_value());
    flaky.fail_next_commits(1);
    const auto reset = wait<domain::AccountView>(
        [&](Reply<domain::AccountView> reply) { trading.reset("u1", std::move(reply)); });
    ASSERT_FALSE(reset.has_value());
    EXPECT_EQ(reset.error().kind, TradingErrorKind::kUnavailable);

    price("BTCUSDT", "44000");
    EXPECT_FALSE(holds("u1", "BTCUSDT"));
    EXPECT_TRUE(holds("u1", "ETHUSDT"));  // its stop was not reached
}

TEST_P(TradingServiceTest, ARestingLimitWhoseCancelFailsToCommitStillFills) {
    price("ETHUSDT", "2000");
    auto request = market_order("ETHUSDT", domain::Side::kBuy, "1");
    request.type = domain::OrderType::kLimit;
    request.price = d("1900");
    const auto placed = place("u1", request);
    ASSERT_TRUE(placed.has_value());
    ASSERT_EQ(placed->order.status, domain::OrderStatus::kOpen);
    flaky.fail_next_commits(1);
    const auto cancelled = cancel("u1", placed->order.id);
    ASSERT_FALSE(cancelled.has_value());
    EXPECT_EQ(cancelled.error().kind, TradingErrorKind::kUnavailable);

    price("ETHUSDT", "1890");
    EXPECT_EQ(store.find_order("u1", placed->order.id)->status, domain::OrderStatus::kFilled);
    EXPECT_EQ(store.load_portfolio("u1")->positions.at("ETHUSDT").quantity, d("1"));
}

TEST_P(TradingServiceTest, ABookThatCannotBeReadWhenAPriceReachesItsStopClosesOnALaterPrice) {
    price("ETHUSDT", "2000");
    ASSERT_TRUE(market("u1", domain::Side::kBuy, "1", d("1900")).has_value());
    trading.refresh("u1");  // changed elsewhere: read again by the next price
    flaky.fail_book_reads(true);
    price("ETHUSDT", "1850");
    flaky.fail_book_reads(false);
    EXPECT_TRUE(holds("u1", "ETHUSDT"));

    // Within the backoff a price does not read the book again.
    const auto reads = flaky.book_reads();
    price("ETHUSDT", "1845");
    EXPECT_EQ(flaky.book_reads(), reads);
    EXPECT_TRUE(holds("u1", "ETHUSDT"));

    clock.advance_ms(TradingService::kReloadBackoffMs);
    price("ETHUSDT", "1840");
    expect_stopped_out("u1", "ETHUSDT");
}

TEST_P(TradingServiceTest, ABookThatCannotBeReadAtLoadingHasItsStopEvaluatedLater) {
    price("ETHUSDT", "2000");
    ASSERT_TRUE(market("u1", domain::Side::kBuy, "1", d("1900")).has_value());
    store.flush();
    market::PriceBook fresh_prices;
    TradingService restarted(flaky, fresh_prices, clock, settings());
    flaky.fail_book_reads(true);
    EXPECT_EQ(restarted.load_open_books(), 1u);
    flaky.fail_book_reads(false);
    EXPECT_TRUE(restarted.watches("u1", "ETHUSDT"));

    clock.advance_ms(TradingService::kReloadBackoffMs);
    price_on(restarted, clock, "ETHUSDT", "1850");
    expect_stopped_out("u1", "ETHUSDT");
}

TEST_P(TradingServiceTest, AnOrderWhoseClientIdCannotBeLookedUpIsUnavailable) {
    price("ETHUSDT", "2000");
    ASSERT_TRUE(market("u1", domain::Side::kBuy, "1").has_value());  // the book is loaded
    auto request = market_order("ETHUSDT", domain::Side::kBuy, "1");
    request.client_order_id = "bot-1";
    flaky.fail_order_reads(true);
    const auto placed = place("u1", request);
    flaky.fail_order_reads(false);
    ASSERT_FALSE(placed.has_value());
    EXPECT_EQ(placed.error().kind, TradingErrorKind::kUnavailable);
    EXPECT_EQ(store.load_portfolio("u1")->positions.at("ETHUSDT").quantity, d("1"));

    ASSERT_TRUE(place("u1", request).has_value());
    EXPECT_EQ(store.load_portfolio("u1")->positions.at("ETHUSDT").quantity, d("2"));
}

TEST_P(TradingServiceTest, ACancelWhoseOrderCannotBeLookedUpIsUnavailable) {
    price("ETHUSDT", "2000");
    ASSERT_TRUE(market("u1", domain::Side::kBuy, "1").has_value());  // the book is loaded
    flaky.fail_order_reads(true);
    const auto cancelled = cancel("u1", "no-such-order");
    flaky.fail_order_reads(false);
    ASSERT_FALSE(cancelled.has_value());
    EXPECT_EQ(cancelled.error().kind, TradingErrorKind::kUnavailable);
}

INSTANTIATE_TEST_SUITE_P(Engines, TradingServiceTest,
                         ::testing::ValuesIn(testing::kEngineNamesWithPooler),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace botcore::engine
