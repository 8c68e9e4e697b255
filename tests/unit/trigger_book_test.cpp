#include "engine/trigger_book.hpp"

#include <gtest/gtest.h>

namespace botcore::engine {
namespace {

using domain::Decimal;

Decimal d(std::string_view text) {
    return *Decimal::parse(text);
}

TEST(TriggerBook, APriceBetweenTheLevelsReachesNobody) {
    TriggerBook book;
    book.set("u1", "BTCUSDT", d("110"), d("90"));
    EXPECT_TRUE(book.fired("BTCUSDT", d("100")).empty());
    EXPECT_TRUE(book.fired("BTCUSDT", d("109.99")).empty());
    EXPECT_EQ(book.size(), 1u);
}

TEST(TriggerBook, ReachingEitherLevelFiresTheUserOnceAndRemovesBothSides) {
    TriggerBook book;
    book.set("u1", "BTCUSDT", d("110"), d("90"));
    EXPECT_EQ(book.fired("BTCUSDT", d("110")), std::vector<std::string>{"u1"});
    EXPECT_TRUE(book.fired("BTCUSDT", d("80")).empty());  // the falling side went too
    EXPECT_EQ(book.size(), 0u);
}

TEST(TriggerBook, OnlyTheUsersWhoseLevelsWereCrossedFire) {
    TriggerBook book;
    book.set("near", "ETHUSDT", std::nullopt, d("1990"));
    book.set("far", "ETHUSDT", std::nullopt, d("1900"));
    book.set("above", "ETHUSDT", d("2100"), std::nullopt);
    EXPECT_EQ(book.fired("ETHUSDT", d("1950")), std::vector<std::string>{"near"});
    EXPECT_EQ(book.size(), 2u);
}

TEST(TriggerBook, SymbolsAreIndependent) {
    TriggerBook book;
    book.set("u1", "BTCUSDT", d("110"), std::nullopt);
    EXPECT_TRUE(book.fired("ETHUSDT", d("1000")).empty());
    EXPECT_TRUE(book.fired("SOLUSDT", d("1000")).empty());
    EXPECT_EQ(book.fired("BTCUSDT", d("1000")), std::vector<std::string>{"u1"});
}

TEST(TriggerBook, SettingAgainReplacesThePreviousLevels) {
    TriggerBook book;
    book.set("u1", "BTCUSDT", d("110"), d("90"));
    book.set("u1", "BTCUSDT", d("120"), std::nullopt);
    EXPECT_TRUE(book.fired("BTCUSDT", d("115")).empty());
    EXPECT_TRUE(book.fired("BTCUSDT", d("85")).empty());
    EXPECT_EQ(book.fired("BTCUSDT", d("120")), std::vector<std::string>{"u1"});
}

TEST(TriggerBook, SettingNothingUnregisters) {
    TriggerBook book;
    book.set("u1", "BTCUSDT", d("110"), d("90"));
    book.set("u1", "BTCUSDT", std::nullopt, std::nullopt);
    EXPECT_EQ(book.size(), 0u);
    EXPECT_TRUE(book.fired("BTCUSDT", d("200")).empty());
}

}  // namespace
}  // namespace botcore::engine
