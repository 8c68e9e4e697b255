#include "market/price_book.hpp"

#include <gtest/gtest.h>

namespace botcore::market {
namespace {

using domain::Decimal;

TEST(PriceBook, ASymbolIsStaleWithoutAPriceNewerThanTheMaximumAge) {
    const auto listed =
        domain::SymbolCatalog::default_catalog().only("BTCUSDT,ETHUSDT,SOLUSDT,XRPUSDT");
    ASSERT_TRUE(listed.has_value());
    PriceBook book;
    book.set("BTCUSDT", {Decimal::from_integer(60'000), 10'000});  // exactly the maximum age
    book.set("ETHUSDT", {Decimal::from_integer(3'000), 9'999});    // one millisecond older
    book.set("XRPUSDT", {Decimal::from_integer(1), 14'000});
    book.set("ADAUSDT", {Decimal::from_integer(1), 0});  // not listed: not reported
    EXPECT_EQ(stale_symbols(book, listed->all(), 15'000, 5'000),
              (std::vector<std::string>{"ETHUSDT", "SOLUSDT"}));  // SOLUSDT: never priced
    book.set("ETHUSDT", {Decimal::from_integer(3'001), 15'000});
    book.set("SOLUSDT", {Decimal::from_integer(150), 15'000});
    EXPECT_TRUE(stale_symbols(book, listed->all(), 15'000, 5'000).empty());
}

}  // namespace
}  // namespace botcore::market
