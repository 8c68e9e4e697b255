#include "domain/symbol.hpp"

#include <gtest/gtest.h>

#include <set>

#include "domain/decimal_math.hpp"
#include "domain/order.hpp"
#include "domain/order_error.hpp"
#include "domain/trade.hpp"

namespace botcore::domain {
namespace {

TEST(SymbolCatalog, DefaultHasTwentyUsdtSymbols) {
    const auto& all = SymbolCatalog::default_catalog().all();
    EXPECT_EQ(all.size(), 20u);
    std::set<std::string> names;
    for (const auto& s : all) {
        names.insert(s.name);
        EXPECT_TRUE(s.name.ends_with("USDT")) << s.name;
    }
    EXPECT_EQ(names.size(), 20u);
    for (const char* name : {"BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT"}) {
        EXPECT_TRUE(names.contains(name)) << name;
    }
}

TEST(SymbolCatalog, EverySymbolHasUsableFilters) {
    for (const auto& s : SymbolCatalog::default_catalog().all()) {
        EXPECT_GT(s.tick_size, Decimal{}) << s.name;
        EXPECT_GT(s.step_size, Decimal{}) << s.name;
        EXPECT_GT(s.min_notional, Decimal{}) << s.name;
        EXPECT_GE(s.max_leverage, 1) << s.name;
        EXPECT_LE(s.max_leverage, kMaxLeverage) << s.name;
    }
}

TEST(SymbolCatalog, FindsBitcoinWithItsFilters) {
    const SymbolSpec* btc = SymbolCatalog::default_catalog().find("BTCUSDT");
    ASSERT_NE(btc, nullptr);
    EXPECT_EQ(btc->tick_size, *Decimal::parse("0.1"));
    EXPECT_EQ(btc->step_size, *Decimal::parse("0.001"));
    EXPECT_EQ(btc->min_notional, *Decimal::parse("100"));
    EXPECT_EQ(btc->max_leverage, 125);
}

TEST(SymbolCatalog, UnknownAndLowerCaseSymbolsAreNotFound) {
    EXPECT_EQ(SymbolCatalog::default_catalog().find("FOOUSDT"), nullptr);
    EXPECT_EQ(SymbolCatalog::default_catalog().find("btcusdt"), nullptr);
    EXPECT_EQ(SymbolCatalog::default_catalog().find(""), nullptr);
}

TEST(SymbolCatalog, OnlyKeepsTheListedSymbolsWithTheirFilters) {
    const auto& all = SymbolCatalog::default_catalog();
    const auto some = all.only(" SOLUSDT,BTCUSDT , ETHUSDT");
    ASSERT_TRUE(some.has_value()) << some.error();
    ASSERT_EQ(some->all().size(), 3u);
    EXPECT_EQ(some->all()[0].name, "BTCUSDT");  // sorted
    EXPECT_EQ(*some->find("SOLUSDT"), *all.find("SOLUSDT"));
    EXPECT_EQ(some->find("BNBUSDT"), nullptr);
    EXPECT_EQ(all.only("")->all(), all.all());
    EXPECT_EQ(all.only("  ")->all(), all.all());
}

TEST(SymbolCatalog, OnlyRefusesUnknownRepeatedAndEmptyNames) {
    const auto& all = SymbolCatalog::default_catalog();
    EXPECT_EQ(all.only("BTCUSDT,FOOUSDT").error(), "'FOOUSDT' is not a symbol of the catalog");
    EXPECT_EQ(all.only("btcusdt").error(), "'btcusdt' is not a symbol of the catalog");
    EXPECT_EQ(all.only("BTCUSDT, BTCUSDT").error(), "'BTCUSDT' is listed twice");
    EXPECT_EQ(all.only("BTCUSDT,,ETHUSDT").error(), "'' is not a symbol of the catalog");
    EXPECT_FALSE(all.only("BTCUSDT,").has_value());
}

TEST(DomainNames, RoundTripThroughTheContractNames) {
    for (const auto side : {Side::kBuy, Side::kSell}) {
        EXPECT_EQ(parse_side(to_string(side)), side);
    }
    for (const auto side : {PositionSide::kLong, PositionSide::kShort}) {
        EXPECT_EQ(parse_position_side(to_string(side)), side);
    }
    for (const auto type : {OrderType::kMarket, OrderType::kLimit, OrderType::kStopLimit}) {
        EXPECT_EQ(parse_order_type(to_string(type)), type);
    }
    for (const auto status : {OrderStatus::kOpen, OrderStatus::kFilled, OrderStatus::kCancelled}) {
        EXPECT_EQ(parse_order_status(to_string(status)), status);
    }
    for (const auto reason :
         {CloseReason::kManual, CloseReason::kStopLoss, CloseReason::kTakeProfit,
          CloseReason::kTrailingStop, CloseReason::kLiquidation, CloseReason::kBot}) {
        EXPECT_EQ(parse_close_reason(to_string(reason)), reason);
    }
    EXPECT_EQ(to_string(OrderType::kStopLimit), "stop_limit");
    EXPECT_EQ(to_string(CloseReason::kTrailingStop), "trailing_stop");
    EXPECT_FALSE(parse_side("BUY"));
    EXPECT_FALSE(parse_order_type("stop"));
}

TEST(DomainNames, ErrorCodesAreSnakeCase) {
    EXPECT_EQ(to_string(OrderErrorCode::kInsufficientMargin), "insufficient_margin");
    EXPECT_EQ(to_string(OrderErrorCode::kReduceOnlyWouldIncrease), "reduce_only_would_increase");
    EXPECT_EQ(to_string(OrderErrorCode::kOrderNotOpen), "order_not_open");
}

}  // namespace
}  // namespace botcore::domain
