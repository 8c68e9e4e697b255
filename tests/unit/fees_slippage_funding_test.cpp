#include <gtest/gtest.h>
#include "domain_test_support.hpp"

#include <ostream>

#include "domain/fees.hpp"
#include "domain/funding.hpp"
#include "domain/slippage.hpp"

namespace botcore::domain {

namespace {

TEST(FeeModel, ChargesTakerAndMakerRatesOfTheNotional) {
    const FeeModel fees;
    // 5,000 * 0.04% = 2; 5,000 * 0.02% = 1
    EXPECT_EQ(fees.fee(d("5000"), Liquidity::kTaker), d("2"));
    EXPECT_EQ(fees.fee(d("5000"), Liquidity::kMaker), d("1"));
}

TEST(FeeModel, UsesConfiguredRates) {
    const FeeModel fees{d("0.0001"), d("0.0005")};
    EXPECT_EQ(fees.fee(d("3000"), Liquidity::kTaker), d("1.5"));
    EXPECT_EQ(fees.fee(d("3000"), Liquidity::kMaker), d("0.3"));
}

TEST(FeeModel, RoundsHalfEvenToTheSmallestUnit) {
    const FeeModel fees;
    // 0.0000125 * 0.0004 = 0.000000005 -> tie -> 0; 0.0000375 * 0.0004 = 0.000000015 -> 0.00000002
    EXPECT_EQ(fees.fee(d("0.0000125"), Liquidity::kTaker), d("0"));
    EXPECT_EQ(fees.fee(d("0.0000375"), Liquidity::kTaker), d("0.00000002"));
}

TEST(SlippageModel, GrowsWithNotionalFromOneBasisPoint) {
    const SlippageModel model;
    // 1 bp + 1 bp * 10,000 / 100,000 = 1.1 bp
    EXPECT_EQ(model.rate(d("10000")), d("0.00011"));
    // 1 bp + 10 bp = 11 bp
    EXPECT_EQ(model.rate(d("1000000")), d("0.0011"));
    EXPECT_EQ(model.rate(d("0")), d("0.0001"));
}

TEST(SlippageModel, IsCappedAtFiftyBasisPoints) {
    const SlippageModel model;
    // 1 bp + 1 bp * 49 = 50 bp exactly at 4,900,000; beyond it stays 50 bp.
    EXPECT_EQ(model.rate(d("4900000")), d("0.005"));
    EXPECT_EQ(model.rate(d("90000000")), d("0.005"));
}

TEST(SlippageModel, MovesThePriceAgainstTheTaker) {
    const SlippageModel model;
    // 0.2 BTC at 50,000 = 10,000 notional: 1.1 bp of 50,000 = 5.5
    EXPECT_EQ(model.fill_price(Side::kBuy, d("50000"), d("0.2"), d("0.1")), d("50005.5"));
    EXPECT_EQ(model.fill_price(Side::kSell, d("50000"), d("0.2"), d("0.1")), d("49994.5"));
}

TEST(SlippageModel, RoundsTheSlippedPriceToTheTickAgainstTheTaker) {
    const SlippageModel model;
    // 1 @ 100.03: rate 1 bp (+ 1e-10, below the smallest unit); move 0.010003
    // buy 100.040003 -> up to 100.05; sell 100.019997 -> down to 100.01
    EXPECT_EQ(model.fill_price(Side::kBuy, d("100.03"), d("1"), d("0.01")), d("100.05"));
    EXPECT_EQ(model.fill_price(Side::kSell, d("100.03"), d("1"), d("0.01")), d("100.01"));
}

TEST(SlippageModel, NoneFillsAtTheObservedPrice) {
    const SlippageModel none = SlippageModel::none();
    EXPECT_EQ(none.fill_price(Side::kBuy, d("50000"), d("5"), d("0.1")), d("50000"));
    EXPECT_EQ(none.fill_price(Side::kSell, d("50000"), d("5"), d("0.1")), d("50000"));
}

TEST(Funding, PeriodsAreEightHoursLong) {
    EXPECT_EQ(funding_period(0), 0);
    EXPECT_EQ(funding_period(28'799'999), 0);
    EXPECT_EQ(funding_period(28'800'000), 1);
    EXPECT_EQ(kDefaultFundingRate, d("0.0001"));
}

TEST(Funding, LongsPayShortsWhenTheRateIsPositive) {
    // 0.1 * 51,000 * 0.01% = 0.51
    EXPECT_EQ(funding_payment(PositionSide::kLong, d("0.1"), d("51000"), d("0.0001")), d("0.51"));
    EXPECT_EQ(funding_payment(PositionSide::kShort, d("0.1"), d("51000"), d("0.0001")), d("-0.51"));
}

TEST(Funding, ShortsPayLongsWhenTheRateIsNegative) {
    EXPECT_EQ(funding_payment(PositionSide::kLong, d("0.1"), d("51000"), d("-0.0001")), d("-0.51"));
    EXPECT_EQ(funding_payment(PositionSide::kShort, d("0.1"), d("51000"), d("-0.0001")), d("0.51"));
}

}  // namespace
}  // namespace botcore::domain
