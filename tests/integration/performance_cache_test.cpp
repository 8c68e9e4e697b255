// GET /api/portfolio/performance with a shared cache, on each real store, while the trade history
// is read where the latest commits have not arrived yet (a replica whose replay is paused).
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <future>
#include <map>

#include "api/trading_routes.hpp"
#include "forwarding_trading_store.hpp"
#include "store_engines.hpp"
#include "test_support.hpp"

namespace botcore::api {
namespace {

using domain::Decimal;

// The store, whose all_trades answers, while replay is paused, what it answered when it paused.
class PausableReplica final : public testing::ForwardingTradingStore {
  public:
    using ForwardingTradingStore::ForwardingTradingStore;

    void pause_replay(std::string_view user_id) { paused_ = inner_.all_trades(user_id); }
    void resume_replay() { paused_.reset(); }

    ports::TradeHistory all_trades(std::string_view user_id) override {
        return paused_ ? *paused_ : inner_.all_trades(user_id);
    }

  private:
    std::optional<ports::TradeHistory> paused_;
};

// What the route uses of the shared cache: values by key (no expiry within a test).
class MapCache final : public ports::Cache {
  public:
    std::optional<std::string> get(std::string_view key) override {
        const auto it = values_.find(std::string(key));
        return it == values_.end() ? std::nullopt : std::optional(it->second);
    }
    void put(std::string_view key, std::string_view value, std::chrono::seconds) override {
        values_.insert_or_assign(std::string(key), std::string(value));
    }
    void erase(std::string_view key) override { values_.erase(std::string(key)); }
    std::optional<bool> contains(std::string_view key) override {
        return values_.contains(std::string(key));
    }
    std::optional<std::int64_t> count(std::string_view, std::int64_t) override {
        return std::nullopt;
    }
    Lease take_lease(std::string_view, std::string_view, int) override {
        return Lease::kUnreachable;
    }
    void drop_lease(std::string_view, std::string_view) override {}
    ports::ServiceHealth health() const override { return ports::ServiceHealth::kOk; }

  private:
    std::map<std::string, std::string, std::less<>> values_;
};

class PerformanceCacheTest : public testing::EngineTest {
  protected:
    PerformanceCacheTest()
        : store(engine_->store()),
          jwt(std::string(40, 'k')),
          auth_service(store, clock, revocations, jwt, auth_settings()),
          replica(store),
          trading(replica, prices, clock, trading_settings()),
          candles(store),
          order_limit("orders", 0, nullptr, clock) {
        add_trading_routes(
            router, {auth_service, trading, replica, prices, candles, {}, order_limit, &cache});
    }
    ~PerformanceCacheTest() override { store.flush(); }

    void SetUp() override {
        EngineTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        const auto user = auth_service.register_user("trader@example.com", "correct horse battery",
                                                     std::nullopt, "127.0.0.1");
        ASSERT_TRUE(user.has_value());
        user_id = user->id;
        const auto tokens = auth_service.login("trader@example.com", "correct horse battery", "");
        ASSERT_TRUE(tokens.has_value());
        token = tokens->access_token;
        std::promise<void> priced;
        trading.on_price("ETHUSDT", Decimal::from_integer(2000), clock.now_ms(),
                         [&priced] { priced.set_value(); });
        priced.get_future().get();
    }

    static auth::AuthSettings auth_settings() {
        auth::AuthSettings s;
        s.password_cost = {1, 8192};
        return s;
    }
    // As instances sharing the store run: reads come from the store, not this copy of the book.
    static engine::TradingSettings trading_settings() {
        engine::TradingSettings s;
        s.slippage = domain::SlippageModel::none();
        s.read_from_store = true;
        return s;
    }

    // Opens and closes a position: one more closed trade.
    void trade_once() {
        domain::OrderRequest buy;
        buy.symbol = "ETHUSDT";
        buy.quantity = Decimal::from_integer(1);
        std::promise<bool> placed;
        trading.place_order(user_id, buy, [&placed](auto r) { placed.set_value(r.has_value()); });
        ASSERT_TRUE(placed.get_future().get());
        std::promise<bool> closed;
        trading.close_position(user_id, "ETHUSDT", std::nullopt,
                               [&closed](auto r) { closed.set_value(r.has_value()); });
        ASSERT_TRUE(closed.get_future().get());
    }

    // total_trades of a 200 answer to GET /api/portfolio/performance; -1 otherwise.
    int total_trades() {
        const std::string path = "/api/portfolio/performance";
        auto match = std::get<RouteMatch>(router.match(Method::kGet, path));
        HttpRequest request;
        request.target = path;
        request.path = path;
        request.headers = {{"authorization", "Bearer " + token}};
        std::promise<HttpResponse> answer;
        match.route->async_handler(
            request, match.params,
            Responder([&answer](HttpResponse response) { answer.set_value(std::move(response)); }));
        const auto response = answer.get_future().get();
        rapidjson::Document body;
        body.Parse(response.body.c_str());
        if (response.status != 200 || !body.IsObject() || !body.HasMember("total_trades")) {
            ADD_FAILURE() << response.status << " " << response.body;
            return -1;
        }
        return body["total_trades"].GetInt();
    }

    bool cached_at_current_revision() {
        return cache.get("perf:" + user_id + ":" + std::to_string(*store.book_revision(user_id)))
            .has_value();
    }

    testing::ManualClock clock;
    ports::StoreEngine& store;
    auth::RevocationList revocations;
    auth::JwtCodec jwt;
    auth::AuthService auth_service;
    PausableReplica replica;
    market::PriceBook prices;
    engine::TradingService trading;
    market::CandleBook candles;
    UserRateLimit order_limit;
    MapCache cache;
    Router router;
    std::string user_id;
    std::string token;
};

TEST_P(PerformanceCacheTest, AnAnswerFromHistoryBehindTheBookIsServedButNotCachedUnderItsRevision) {
    trade_once();
    EXPECT_EQ(total_trades(), 1);
    EXPECT_TRUE(cached_at_current_revision());

    // The replica has the first trade but not the second.
    replica.pause_replay(user_id);
    trade_once();
    EXPECT_EQ(total_trades(), 1);  // bounded staleness: allowed when served
    EXPECT_FALSE(cached_at_current_revision());

    replica.resume_replay();
    EXPECT_EQ(total_trades(), 2);
    EXPECT_TRUE(cached_at_current_revision());
}

INSTANTIATE_TEST_SUITE_P(Engines, PerformanceCacheTest, ::testing::ValuesIn(testing::kEngineNames),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace botcore::api
