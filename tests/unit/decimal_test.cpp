#include "domain/decimal.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace botcore::domain {
namespace {

TEST(Decimal, ParsesWholeAndFractionalAmountsExactly) {
    EXPECT_EQ(Decimal::parse("10000")->units(), 10000LL * 100'000'000);
    EXPECT_EQ(Decimal::parse("43250.12")->units(), 4'325'012'000'000LL);
    EXPECT_EQ(Decimal::parse("0.00000001")->units(), 1);
    EXPECT_EQ(Decimal::parse("-1.5")->units(), -150'000'000);
}

TEST(Decimal, RejectsMalformedText) {
    for (const char* text :
         {"", "-", "1.", ".5", "+1", "1e3", "1,5", "1.2.3", " 1", "0x10", "--1"}) {
        EXPECT_FALSE(Decimal::parse(text).has_value()) << text;
    }
}

TEST(Decimal, RejectsMorePrecisionThanAllowed) {
    EXPECT_FALSE(Decimal::parse("0.000000001").has_value());
    EXPECT_FALSE(Decimal::parse("1.123", 2).has_value());
    EXPECT_TRUE(Decimal::parse("1.12", 2).has_value());
}

TEST(Decimal, RejectsOverflow) {
    // int64 holds about 92 billion whole units at 8 decimals.
    EXPECT_TRUE(Decimal::parse("92233720368").has_value());
    EXPECT_FALSE(Decimal::parse("92233720369").has_value());
    EXPECT_FALSE(Decimal::parse("99999999999999999999999").has_value());
}

TEST(Decimal, FormatsShortestExactText) {
    EXPECT_EQ(Decimal::from_integer(10000).to_string(), "10000");
    EXPECT_EQ(Decimal::from_units(50'000'000).to_string(), "0.5");
    EXPECT_EQ(Decimal::from_units(-125'000'000).to_string(), "-1.25");
    EXPECT_EQ(Decimal::from_units(1).to_string(), "0.00000001");
    EXPECT_EQ(Decimal::from_units(0).to_string(), "0");
}

TEST(Decimal, FormatsTheMostNegativeValue) {
    EXPECT_EQ(Decimal::from_units(std::numeric_limits<std::int64_t>::min()).to_string(),
              "-92233720368.54775808");
}

TEST(Decimal, RoundTripsThroughText) {
    for (const char* text :
         {"0", "1", "-1", "0.1", "123456.78901234", "-0.00000001", "92233720368.54775807"}) {
        EXPECT_EQ(Decimal::parse(text)->to_string(), text);
    }
}

}  // namespace
}  // namespace botcore::domain
