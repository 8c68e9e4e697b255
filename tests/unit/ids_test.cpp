#include "ports/ids.hpp"

#include <gtest/gtest.h>

#include <set>

namespace botcore::ports {
namespace {

TEST(IdGenerator, IdsOfOneMillisecondFollowTheOrderTheyWereMadeIn) {
    IdGenerator ids;
    std::string previous;
    for (int i = 0; i < 10'000; ++i) {
        const auto id = ids.next(1'795'000'000'000);
        ASSERT_GT(id, previous);
        previous = id;
    }
}

TEST(IdGenerator, LaterMillisecondsSortAfterEarlierOnes) {
    IdGenerator ids;
    const auto early = ids.next(1000);
    IdGenerator other;  // another generator, sequence from zero again
    EXPECT_LT(early, other.next(1001));
}

TEST(IdGenerator, TwoGeneratorsDoNotCollide) {
    IdGenerator a;
    IdGenerator b;
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        EXPECT_TRUE(seen.insert(a.next(5)).second);
        EXPECT_TRUE(seen.insert(b.next(5)).second);
    }
}

TEST(IdGenerator, IdsAreTwentyEightHexDigits) {
    const auto id = IdGenerator().next(1'795'000'000'000);
    EXPECT_EQ(id.size(), 28u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
}

}  // namespace
}  // namespace botcore::ports
