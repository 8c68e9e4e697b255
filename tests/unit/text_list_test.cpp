#include "domain/text_list.hpp"

#include <gtest/gtest.h>

namespace botcore::domain {
namespace {

using Items = std::vector<std::string_view>;

TEST(TextList, TrimTakesBlanksAndLineEndsOffBothEnds) {
    EXPECT_EQ(trim(" \tBTCUSDT \r\n"), "BTCUSDT");
    EXPECT_EQ(trim("a b"), "a b");
    EXPECT_EQ(trim(" \r\n"), "");
    EXPECT_EQ(trim(""), "");
}

TEST(TextList, SplitListTrimsItemsAndKeepsEmptyOnes) {
    EXPECT_EQ(split_list(" a , b,c "), (Items{"a", "b", "c"}));
    EXPECT_EQ(split_list("a,,b"), (Items{"a", "", "b"}));
    EXPECT_EQ(split_list("a,"), (Items{"a", ""}));
    EXPECT_EQ(split_list("solo"), (Items{"solo"}));
    EXPECT_TRUE(split_list("").empty());
    EXPECT_TRUE(split_list("  ").empty());
}

}  // namespace
}  // namespace botcore::domain
