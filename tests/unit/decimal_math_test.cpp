#include "domain/decimal_math.hpp"
#include "domain_test_support.hpp"

#include <gtest/gtest.h>

#include <ostream>

#include <cstdint>
#include <limits>

namespace botcore::domain {

namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

TEST(DecimalMath, AddsAndSubtractsExactly) {
    EXPECT_EQ(checked_add(d("0.1"), d("0.2")), d("0.3"));
    EXPECT_EQ(checked_sub(d("1"), d("1.00000001")), d("-0.00000001"));
}

TEST(DecimalMath, AdditionOverflowIsReportedNotWrapped) {
    EXPECT_FALSE(checked_add(Decimal::from_units(kMax), Decimal::from_units(1)));
    EXPECT_FALSE(checked_sub(Decimal::from_units(kMin), Decimal::from_units(1)));
    EXPECT_FALSE(checked_neg(Decimal::from_units(kMin)));
}

TEST(DecimalMath, MultipliesExactlyWhenTheResultFits) {
    // 50,000 * 0.123 = 6,150; 0.0004 * 6,150 = 2.46
    EXPECT_EQ(checked_mul(d("50000"), d("0.123")), d("6150"));
    EXPECT_EQ(checked_mul(d("6150"), d("0.0004")), d("2.46"));
    EXPECT_EQ(checked_mul(d("-1.5"), d("2")), d("-3"));
}

TEST(DecimalMath, MultiplicationRoundsHalfEvenByDefault) {
    // 0.00000001 * 0.5 = 0.000000005: a tie, to the even neighbour 0.
    EXPECT_EQ(checked_mul(d("0.00000001"), d("0.5")), d("0"));
    // 0.00000003 * 0.5 = 0.000000015: a tie, to the even neighbour 0.00000002.
    EXPECT_EQ(checked_mul(d("0.00000003"), d("0.5")), d("0.00000002"));
    // 0.00000001 * 0.6 = 0.000000006: nearer 0.00000001.
    EXPECT_EQ(checked_mul(d("0.00000001"), d("0.6")), d("0.00000001"));
    EXPECT_EQ(checked_mul(d("-0.00000003"), d("0.5")), d("-0.00000002"));
}

TEST(DecimalMath, MultiplicationHonoursAnExplicitRounding) {
    // 0.00000001 * 0.6 = 0.000000006
    EXPECT_EQ(checked_mul(d("0.00000001"), d("0.6"), Rounding::kTowardZero), d("0"));
    EXPECT_EQ(checked_mul(d("0.00000001"), d("0.6"), Rounding::kDown), d("0"));
    EXPECT_EQ(checked_mul(d("0.00000001"), d("0.4"), Rounding::kUp), d("0.00000001"));
    EXPECT_EQ(checked_mul(d("-0.00000001"), d("0.4"), Rounding::kDown), d("-0.00000001"));
    EXPECT_EQ(checked_mul(d("-0.00000001"), d("0.4"), Rounding::kUp), d("0"));
    EXPECT_EQ(checked_mul(d("-0.00000001"), d("0.6"), Rounding::kTowardZero), d("0"));
}

TEST(DecimalMath, MultiplicationOverflowIsReported) {
    // 1,000,000 * 1,000,000 = 1e12 > ~9.2e10, the largest amount.
    EXPECT_FALSE(checked_mul(d("1000000"), d("1000000")));
    EXPECT_FALSE(checked_mul(Decimal::from_units(kMin), d("-1")));
    // The intermediate needs 128 bits, the result does not.
    EXPECT_EQ(checked_mul(d("90000000000"), d("0.5")), d("45000000000"));
}

TEST(DecimalMath, DividesWithRounding) {
    // 1 / 3 = 0.333333333...: half-even and toward zero give 0.33333333, up 0.33333334.
    EXPECT_EQ(checked_div(d("1"), d("3")), d("0.33333333"));
    EXPECT_EQ(checked_div(d("1"), d("3"), Rounding::kUp), d("0.33333334"));
    // 2 / 3 = 0.666666666...: nearest is 0.66666667.
    EXPECT_EQ(checked_div(d("2"), d("3")), d("0.66666667"));
    EXPECT_EQ(checked_div(d("2"), d("3"), Rounding::kTowardZero), d("0.66666666"));
    EXPECT_EQ(checked_div(d("-2"), d("3"), Rounding::kDown), d("-0.66666667"));
    EXPECT_EQ(checked_div(d("5000"), d("10")), d("500"));
}

TEST(DecimalMath, DivisionByZeroIsAnError) {
    EXPECT_FALSE(checked_div(d("1"), d("0")));
    EXPECT_FALSE(checked_mul_div(d("1"), d("1"), d("0")));
    EXPECT_FALSE(checked_div_int(d("1"), 0));
}

TEST(DecimalMath, DivisionOverflowIsReported) {
    // 90,000,000,000 / 0.5 = 180,000,000,000: beyond the range.
    EXPECT_FALSE(checked_div(d("90000000000"), d("0.5")));
    EXPECT_FALSE(checked_div(Decimal::from_units(kMin), d("-0.00000001")));
}

TEST(DecimalMath, MulDivRoundsOnceOnTheExactProduct) {
    // 10 * 1 / 3 = 3.333333333... -> 3.33333333 (no intermediate rounding of 1/3 * 10)
    EXPECT_EQ(checked_mul_div(d("10"), d("1"), d("3")), d("3.33333333"));
    // 500 * 0.05 / 0.2 = 125 (a pro-rata share of margin)
    EXPECT_EQ(checked_mul_div(d("500"), d("0.05"), d("0.2")), d("125"));
}

TEST(DecimalMath, IntegerMultiplesAndShares) {
    EXPECT_EQ(checked_mul_int(d("0.5"), 3), d("1.5"));
    EXPECT_EQ(checked_div_int(d("4000"), 3), d("1333.33333333"));
    EXPECT_FALSE(checked_mul_int(Decimal::from_units(kMax), 2));
}

TEST(DecimalMath, RoundsQuantitiesDownToTheStepSize) {
    EXPECT_EQ(round_to_step(d("0.12345"), d("0.001"), Rounding::kDown), d("0.123"));
    EXPECT_EQ(round_to_step(d("0.123"), d("0.001"), Rounding::kDown), d("0.123"));
    EXPECT_EQ(round_to_step(d("7.9"), d("1"), Rounding::kDown), d("7"));
}

TEST(DecimalMath, RoundsPricesToTheTickSizeInTheAskedDirection) {
    EXPECT_EQ(round_to_step(d("100.040003"), d("0.01"), Rounding::kUp), d("100.05"));
    EXPECT_EQ(round_to_step(d("100.019997"), d("0.01"), Rounding::kDown), d("100.01"));
    EXPECT_EQ(round_to_step(d("50000.05"), d("0.1"), Rounding::kHalfEven), d("50000"));
    EXPECT_EQ(round_to_step(d("50000.15"), d("0.1"), Rounding::kHalfEven), d("50000.2"));
}

TEST(DecimalMath, RoundingToANonPositiveStepIsAnError) {
    EXPECT_FALSE(round_to_step(d("1"), d("0"), Rounding::kDown));
    EXPECT_FALSE(round_to_step(d("1"), d("-0.1"), Rounding::kDown));
}

TEST(DecimalMath, TellsMultiplesOfAStep) {
    EXPECT_TRUE(is_multiple_of(d("0.123"), d("0.001")));
    EXPECT_FALSE(is_multiple_of(d("0.1234"), d("0.001")));
    EXPECT_TRUE(is_multiple_of(d("0"), d("0.001")));
    EXPECT_FALSE(is_multiple_of(d("1"), d("0")));
}

TEST(DecimalMath, CheckedMathRemembersTheFirstOverflow) {
    CheckedMath m;
    EXPECT_EQ(m.add(d("1"), d("2")), d("3"));
    EXPECT_FALSE(m.overflowed());
    EXPECT_EQ(m.mul(d("1000000"), d("1000000")), Decimal{});
    EXPECT_TRUE(m.overflowed());
    EXPECT_EQ(m.add(d("1"), d("2")), Decimal{});  // poisoned after an overflow
    EXPECT_TRUE(m.overflowed());
}

}  // namespace
}  // namespace botcore::domain
