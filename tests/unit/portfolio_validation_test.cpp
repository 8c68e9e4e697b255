// Every invalid input is refused with the field at fault and leaves the portfolio unchanged.
#include <gtest/gtest.h>
#include "domain_test_support.hpp"

#include <ostream>

#include <functional>
#include <memory>
#include <string>

#include "domain/portfolio.hpp"

namespace botcore::domain {

namespace {

OrderRequest buy_btc(const char* qty = "0.1") {
    OrderRequest r;
    r.symbol = "BTCUSDT";
    r.side = Side::kBuy;
    r.quantity = d(qty);
    r.leverage = 10;
    return r;
}

// A portfolio with something in it: a 0.1 BTC long at 10x (entry 50,000) and a resting
// ETH limit, so "unchanged" means more than "still empty".
Portfolio busy_portfolio() {
    Account a;
    a.user_id = "u1";
    Portfolio p(a, counter_ids(), SymbolCatalog::default_catalog(), SlippageModel::none());
    EXPECT_TRUE(p.place_order(buy_btc(), d("50000"), 1000));
    OrderRequest eth;
    eth.symbol = "ETHUSDT";
    eth.side = Side::kBuy;
    eth.type = OrderType::kLimit;
    eth.quantity = d("1");
    eth.price = d("2900");
    eth.leverage = 5;
    EXPECT_TRUE(p.place_order(eth, d("3000"), 1000));
    return p;
}

struct InvalidOrder {
    const char* name;
    std::function<void(OrderRequest&)> change;
    OrderErrorCode code;
    const char* field;
};

const InvalidOrder kInvalidOrders[] = {
    {"unknown_symbol", [](OrderRequest& r) { r.symbol = "FOOUSDT"; },
     OrderErrorCode::kUnknownSymbol, "symbol"},
    {"lower_case_symbol", [](OrderRequest& r) { r.symbol = "btcusdt"; },
     OrderErrorCode::kUnknownSymbol, "symbol"},
    {"zero_quantity", [](OrderRequest& r) { r.quantity = d("0"); },
     OrderErrorCode::kInvalidQuantity, "quantity"},
    {"negative_quantity", [](OrderRequest& r) { r.quantity = d("-0.1"); },
     OrderErrorCode::kInvalidQuantity, "quantity"},
    {"quantity_finer_than_step", [](OrderRequest& r) { r.quantity = d("0.1001"); },
     OrderErrorCode::kInvalidQuantity, "quantity"},
    {"leverage_zero", [](OrderRequest& r) { r.leverage = 0; }, OrderErrorCode::kInvalidLeverage,
     "leverage"},
    {"leverage_above_125", [](OrderRequest& r) { r.leverage = 126; },
     OrderErrorCode::kInvalidLeverage, "leverage"},
    {"leverage_above_symbol_max",
     [](OrderRequest& r) {
         r.symbol = "SOLUSDT";  // max 50x
         r.quantity = d("1");
         r.leverage = 51;
     },
     OrderErrorCode::kInvalidLeverage, "leverage"},
    {"leverage_differs_from_position", [](OrderRequest& r) { r.leverage = 20; },
     OrderErrorCode::kInvalidLeverage, "leverage"},
    {"market_with_price", [](OrderRequest& r) { r.price = d("50000"); },
     OrderErrorCode::kInvalidPrice, "price"},
    {"limit_without_price", [](OrderRequest& r) { r.type = OrderType::kLimit; },
     OrderErrorCode::kInvalidPrice, "price"},
    {"limit_negative_price",
     [](OrderRequest& r) {
         r.type = OrderType::kLimit;
         r.price = d("-1");
     },
     OrderErrorCode::kInvalidPrice, "price"},
    {"limit_price_off_tick",
     [](OrderRequest& r) {
         r.type = OrderType::kLimit;
         r.price = d("49000.05");
     },
     OrderErrorCode::kInvalidPrice, "price"},
    {"stop_limit_without_stop",
     [](OrderRequest& r) {
         r.type = OrderType::kStopLimit;
         r.price = d("51000");
     },
     OrderErrorCode::kInvalidPrice, "stop_price"},
    {"buy_stop_below_market",
     [](OrderRequest& r) {
         r.type = OrderType::kStopLimit;
         r.price = d("49000");
         r.stop_price = d("49000");
     },
     OrderErrorCode::kInvalidPrice, "stop_price"},
    {"stop_price_on_a_limit",
     [](OrderRequest& r) {
         r.type = OrderType::kLimit;
         r.price = d("49000");
         r.stop_price = d("51000");
     },
     OrderErrorCode::kInvalidPrice, "stop_price"},
    {"below_min_notional", [](OrderRequest& r) { r.quantity = d("0.001"); },  // 50 < 100 USDT
     OrderErrorCode::kBelowMinNotional, "quantity"},
    {"insufficient_margin", [](OrderRequest& r) { r.quantity = d("2"); },
     OrderErrorCode::kInsufficientMargin, "quantity"},
    {"reduce_only_same_side", [](OrderRequest& r) { r.reduce_only = true; },
     OrderErrorCode::kReduceOnlyWouldIncrease, "reduce_only"},
    {"reduce_only_without_position",
     [](OrderRequest& r) {
         r.symbol = "BNBUSDT";
         r.quantity = d("1");
         r.side = Side::kSell;
         r.reduce_only = true;
     },
     OrderErrorCode::kReduceOnlyWouldIncrease, "reduce_only"},
    {"long_stop_loss_above_price", [](OrderRequest& r) { r.stop_loss = d("50100"); },
     OrderErrorCode::kInvalidStopLoss, "stop_loss"},
    {"long_stop_loss_at_price", [](OrderRequest& r) { r.stop_loss = d("50000"); },
     OrderErrorCode::kInvalidStopLoss, "stop_loss"},
    {"stop_loss_negative", [](OrderRequest& r) { r.stop_loss = d("-5"); },
     OrderErrorCode::kInvalidStopLoss, "stop_loss"},
    {"long_take_profit_below_price", [](OrderRequest& r) { r.take_profit = d("49000"); },
     OrderErrorCode::kInvalidTakeProfit, "take_profit"},
    {"short_stop_loss_below_price",
     [](OrderRequest& r) {
         r.symbol = "ETHUSDT";
         r.leverage = 5;
         r.side = Side::kSell;
         r.quantity = d("0.1");
         r.stop_loss = d("2900");  // market 3,000 for ETH
     },
     OrderErrorCode::kInvalidStopLoss, "stop_loss"},
    {"short_take_profit_above_price",
     [](OrderRequest& r) {
         r.symbol = "ETHUSDT";
         r.leverage = 5;
         r.side = Side::kSell;
         r.quantity = d("0.1");
         r.take_profit = d("3100");
     },
     OrderErrorCode::kInvalidTakeProfit, "take_profit"},
    {"trailing_zero", [](OrderRequest& r) { r.trailing_stop_pct = d("0"); },
     OrderErrorCode::kInvalidTrailingStop, "trailing_stop_pct"},
    {"trailing_above_50", [](OrderRequest& r) { r.trailing_stop_pct = d("50.01"); },
     OrderErrorCode::kInvalidTrailingStop, "trailing_stop_pct"},
};

class InvalidOrders : public ::testing::TestWithParam<InvalidOrder> {};

TEST_P(InvalidOrders, AreRefusedNamingTheFieldAndChangeNothing) {
    const InvalidOrder& row = GetParam();
    Portfolio p = busy_portfolio();
    const PortfolioState before = p.state();
    OrderRequest r = buy_btc();
    row.change(r);
    const Decimal market = r.symbol == "ETHUSDT" ? d("3000") : d("50000");
    const auto result = p.place_order(r, market, 5000);
    ASSERT_FALSE(result) << row.name;
    EXPECT_EQ(result.error().code, row.code) << result.error().message;
    EXPECT_EQ(result.error().field, row.field);
    EXPECT_FALSE(result.error().message.empty());
    EXPECT_EQ(p.state(), before);
}

INSTANTIATE_TEST_SUITE_P(Portfolio, InvalidOrders, ::testing::ValuesIn(kInvalidOrders),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(PortfolioValidation, AboveFiftyPercentTrailingIsRefusedButFiftyIsAllowed) {
    Portfolio p = busy_portfolio();
    OrderRequest r = buy_btc();
    r.trailing_stop_pct = d("50");
    EXPECT_TRUE(p.place_order(r, d("50000"), 5000));
}

TEST(PortfolioValidation, MissingMarketPriceIsRefused) {
    Portfolio p = busy_portfolio();
    const PortfolioState before = p.state();
    const auto result = p.place_order(buy_btc(), d("0"), 5000);
    EXPECT_EQ(result.error().code, OrderErrorCode::kInvalidPrice);
    EXPECT_EQ(p.state(), before);
}

TEST(PortfolioValidation, CancelUnknownOrderNamesTheIdAndChangesNothing) {
    Portfolio p = busy_portfolio();
    const PortfolioState before = p.state();
    const auto result = p.cancel_order("nope", 5000);
    EXPECT_EQ(result.error().code, OrderErrorCode::kOrderNotOpen);
    EXPECT_EQ(result.error().field, "order_id");
    EXPECT_EQ(p.state(), before);
}

TEST(PortfolioValidation, ClosingWithoutAPositionIsRefused) {
    Portfolio p = busy_portfolio();
    const PortfolioState before = p.state();
    const auto result =
        p.close_position("ETHUSDT", std::nullopt, d("3000"), CloseReason::kManual, 5000);
    EXPECT_EQ(result.error().code, OrderErrorCode::kNoPosition);
    EXPECT_EQ(result.error().field, "symbol");
    EXPECT_EQ(p.state(), before);
}

TEST(PortfolioValidation, ClosingMoreThanThePositionIsRefused) {
    Portfolio p = busy_portfolio();
    const PortfolioState before = p.state();
    for (const char* qty : {"0.2", "0", "-0.1", "0.0505"}) {
        const auto result =
            p.close_position("BTCUSDT", d(qty), d("50000"), CloseReason::kManual, 5000);
        EXPECT_EQ(result.error().code, OrderErrorCode::kInvalidQuantity) << qty;
        EXPECT_EQ(result.error().field, "quantity");
    }
    EXPECT_EQ(p.state(), before);
}

TEST(PortfolioValidation, InvalidProtectionUpdateChangesNothing) {
    Portfolio p = busy_portfolio();
    const PortfolioState before = p.state();
    ProtectionUpdate update;
    update.stop_loss = d("49000");    // valid
    update.take_profit = d("49500");  // below the price for a long
    const auto result = p.set_protection("BTCUSDT", update, d("50000"), 5000);
    EXPECT_EQ(result.error().code, OrderErrorCode::kInvalidTakeProfit);
    EXPECT_EQ(result.error().field, "take_profit");
    EXPECT_EQ(p.state(), before);
}

TEST(PortfolioValidation, InvalidTrailingUpdateChangesNothing) {
    Portfolio p = busy_portfolio();
    const PortfolioState before = p.state();
    ProtectionUpdate update;
    update.trailing_stop_pct = d("-1");
    EXPECT_EQ(p.set_protection("BTCUSDT", update, d("50000"), 5000).error().field,
              "trailing_stop_pct");
    EXPECT_EQ(p.state(), before);
}

TEST(PortfolioValidation, ProtectionWithoutAPositionIsRefused) {
    Portfolio p = busy_portfolio();
    const PortfolioState before = p.state();
    EXPECT_EQ(p.set_protection("SOLUSDT", {}, d("100"), 5000).error().code,
              OrderErrorCode::kNoPosition);
    EXPECT_EQ(p.state(), before);
}

TEST(PortfolioValidation, FundingWithABadMarkIsRefused) {
    Portfolio p = busy_portfolio();
    const PortfolioState before = p.state();
    EXPECT_EQ(p.apply_funding("BTCUSDT", d("0"), d("0.0001"), 28'800'000).error().field, "mark");
    EXPECT_EQ(p.state(), before);
}

TEST(PortfolioValidation, OverflowIsAnErrorValueAndChangesNothing) {
    Account rich;
    rich.user_id = "u1";
    rich.initial_balance = d("90000000000");
    rich.balance = d("90000000000");
    Portfolio p(rich, counter_ids(), SymbolCatalog::default_catalog(), SlippageModel::none());
    const PortfolioState before = p.state();
    // 900,000 BTC at 90,000,000 USDT: a notional of 8.1e13, beyond the representable range
    OrderRequest r = buy_btc("900000");
    r.leverage = 1;
    const auto result = p.place_order(r, d("90000000"), 1000);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, OrderErrorCode::kOverflow);
    EXPECT_EQ(result.error().field, "quantity");  // the size of the order is what to change
    EXPECT_EQ(p.state(), before);
}

}  // namespace
}  // namespace botcore::domain
