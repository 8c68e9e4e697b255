#include "domain/performance.hpp"
#include "domain_test_support.hpp"

#include <gtest/gtest.h>

#include <ostream>

#include <vector>

namespace botcore::domain {

namespace {

Trade trade(const char* pnl, const char* fees, std::int64_t closed_ms) {
    Trade t;
    t.realized_pnl = d(pnl);
    t.fees = d(fees);
    t.closed_ms = closed_ms;
    return t;
}

TEST(Performance, WithoutTradesHasNoRates) {
    const auto p = performance({}, d("1000"));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->total_trades, 0);
    EXPECT_FALSE(p->win_rate);
    EXPECT_FALSE(p->profit_factor);
    EXPECT_TRUE(p->equity_curve.empty());
    EXPECT_EQ(p->max_drawdown, d("0"));
}

// Net results (pnl - fees): +100, -50, +30 from 1,000.
// Curve 1,100 / 1,050 / 1,080; peak 1,100, drawdown 50 = 50/1,100 = 0.0454545454... -> 0.04545455
const std::vector<Trade> kThree = {trade("101", "1", 10), trade("-48", "2", 20),
                                   trade("31", "1", 30)};

TEST(Performance, CountsWinsAndLossesNetOfFees) {
    const auto p = performance(kThree, d("1000"));
    EXPECT_EQ(p->total_trades, 3);
    EXPECT_EQ(p->wins, 2);
    EXPECT_EQ(p->losses, 1);
    EXPECT_EQ(p->win_rate, d("0.66666667"));  // 2 / 3
    EXPECT_EQ(p->net_pnl, d("80"));
}

TEST(Performance, ProfitFactorIsGrossProfitOverGrossLoss) {
    const auto p = performance(kThree, d("1000"));
    EXPECT_EQ(p->gross_profit, d("130"));
    EXPECT_EQ(p->gross_loss, d("50"));
    EXPECT_EQ(p->profit_factor, d("2.6"));
}

TEST(Performance, ProfitFactorIsNoneWithoutLosses) {
    const std::vector<Trade> wins = {trade("10", "0", 1), trade("5", "0", 2)};
    EXPECT_FALSE(performance(wins, d("1000"))->profit_factor);
}

TEST(Performance, EquityCurveHasAPointAfterEachTrade) {
    const auto p = performance(kThree, d("1000"));
    EXPECT_EQ(p->equity_curve,
              (std::vector<EquityPoint>{{10, d("1100")}, {20, d("1050")}, {30, d("1080")}}));
}

TEST(Performance, MaxDrawdownIsTheLargestFallFromAPeak) {
    const auto p = performance(kThree, d("1000"));
    EXPECT_EQ(p->max_drawdown, d("50"));
    EXPECT_EQ(p->max_drawdown_fraction, d("0.04545455"));
}

TEST(Performance, DrawdownCountsFromTheInitialBalance) {
    // 1,000 -> 900 -> 700 -> 800: drawdown 300 = 30% of the initial peak.
    const std::vector<Trade> trades = {trade("-100", "0", 1), trade("-200", "0", 2),
                                       trade("100", "0", 3)};
    const auto p = performance(trades, d("1000"));
    EXPECT_EQ(p->max_drawdown, d("300"));
    EXPECT_EQ(p->max_drawdown_fraction, d("0.3"));
}

TEST(Performance, TakesTradesInClosingOrder) {
    const std::vector<Trade> shuffled = {kThree[2], kThree[0], kThree[1]};
    EXPECT_EQ(performance(shuffled, d("1000"))->equity_curve,
              performance(kThree, d("1000"))->equity_curve);
}

TEST(Performance, BreakEvenIsNeitherAWinNorALoss) {
    const std::vector<Trade> trades = {trade("2", "2", 1), trade("10", "0", 2)};
    const auto p = performance(trades, d("1000"));
    EXPECT_EQ(p->wins, 1);
    EXPECT_EQ(p->losses, 0);
    EXPECT_EQ(p->win_rate, d("0.5"));  // over both closed trades
}

}  // namespace
}  // namespace botcore::domain
