#include "domain/margin.hpp"
#include "domain_test_support.hpp"

#include <gtest/gtest.h>

#include <ostream>

namespace botcore::domain {

namespace {

TEST(MaintenanceRate, FollowsTheLeverageTiers) {
    struct Row {
        int leverage;
        const char* rate;
    };
    for (const Row row :
         {Row{1, "0.01"}, Row{5, "0.01"}, Row{6, "0.025"}, Row{10, "0.025"}, Row{11, "0.05"},
          Row{20, "0.05"}, Row{21, "0.1"}, Row{50, "0.1"}, Row{51, "0.125"}, Row{100, "0.125"},
          Row{101, "0.15"}, Row{125, "0.15"}}) {
        EXPECT_EQ(maintenance_rate(row.leverage), d(row.rate)) << row.leverage << "x";
    }
}

TEST(InitialMargin, IsNotionalOverLeverage) {
    EXPECT_EQ(initial_margin(d("5000"), 10), d("500"));
    EXPECT_EQ(initial_margin(d("4000"), 3), d("1333.33333333"));
    EXPECT_FALSE(initial_margin(d("4000"), 0));
}

// liq long = entry * (lev - 1 + mmr) / lev, short = entry * (lev + 1 - mmr) / lev
struct LiquidationRow {
    int leverage;
    const char* entry;
    const char* long_price;
    const char* short_price;
};

TEST(LiquidationPrice, MatchesTheWorkedTable) {
    for (const auto& row : {
             // 1x, mmr 1%:   50000 * 0.01 / 1 = 500;        50000 * 1.99 = 99500
             LiquidationRow{1, "50000", "500", "99500"},
             // 10x, 2.5%:    100 * 9.025 / 10 = 90.25;       100 * 10.975 / 10 = 109.75
             LiquidationRow{10, "100", "90.25", "109.75"},
             // 20x, 5%:      3000 * 19.05 / 20 = 2857.5;     3000 * 20.95 / 20 = 3142.5
             LiquidationRow{20, "3000", "2857.5", "3142.5"},
             // 50x, 10%:     50000 * 49.1 / 50 = 49100;      50000 * 50.9 / 50 = 50900
             LiquidationRow{50, "50000", "49100", "50900"},
             // 100x, 12.5%:  50000 * 99.125 / 100 = 49562.5; 50000 * 100.875 / 100 = 50437.5
             LiquidationRow{100, "50000", "49562.5", "50437.5"},
             // 125x, 15%:    50000 * 124.15 / 125 = 49660;   50000 * 125.85 / 125 = 50340
             LiquidationRow{125, "50000", "49660", "50340"},
         }) {
        EXPECT_EQ(liquidation_price(PositionSide::kLong, d(row.entry), row.leverage),
                  d(row.long_price))
            << row.leverage << "x long";
        EXPECT_EQ(liquidation_price(PositionSide::kShort, d(row.entry), row.leverage),
                  d(row.short_price))
            << row.leverage << "x short";
    }
}

TEST(LiquidationPrice, RoundsTowardTheEntry) {
    // 7x, 2.5%: long 100 * 6.025 / 7 = 86.0714285714... -> up to 86.07142858
    //           short 100 * 7.975 / 7 = 113.9285714285... -> down to 113.92857142
    EXPECT_EQ(liquidation_price(PositionSide::kLong, d("100"), 7), d("86.07142858"));
    EXPECT_EQ(liquidation_price(PositionSide::kShort, d("100"), 7), d("113.92857142"));
}

TEST(LiquidationPrice, LiesOnTheLosingSideOfTheEntryAtEveryLeverage) {
    for (int lev = 1; lev <= 125; ++lev) {
        EXPECT_LT(*liquidation_price(PositionSide::kLong, d("50000"), lev), d("50000")) << lev;
        EXPECT_GT(*liquidation_price(PositionSide::kShort, d("50000"), lev), d("50000")) << lev;
    }
}

TEST(LiquidationPrice, IsReachedAtOrBeyondThePrice) {
    EXPECT_TRUE(liquidation_reached(PositionSide::kLong, d("90.25"), d("90.25")));
    EXPECT_TRUE(liquidation_reached(PositionSide::kLong, d("90.25"), d("80")));
    EXPECT_FALSE(liquidation_reached(PositionSide::kLong, d("90.25"), d("90.26")));
    EXPECT_TRUE(liquidation_reached(PositionSide::kShort, d("109.75"), d("109.75")));
    EXPECT_FALSE(liquidation_reached(PositionSide::kShort, d("109.75"), d("109.74")));
}

TEST(LiquidationPrice, RejectsAnInvalidLeverage) {
    EXPECT_FALSE(liquidation_price(PositionSide::kLong, d("100"), 0));
}

}  // namespace
}  // namespace botcore::domain
