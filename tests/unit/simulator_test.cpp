#include "market/simulator.hpp"

#include <gtest/gtest.h>

#include "domain/decimal_math.hpp"

namespace botcore::market {
namespace {

using domain::SymbolCatalog;

std::vector<std::vector<domain::Decimal>> path(std::uint64_t seed, int steps) {
    RandomWalk walk(seed, SymbolCatalog::default_catalog(), 0.001);
    std::vector<std::vector<domain::Decimal>> out;
    for (int i = 0; i < steps; ++i) {
        std::vector<domain::Decimal> prices;
        for (const auto& walker : walk.step()) {
            prices.push_back(walker.price);
        }
        out.push_back(std::move(prices));
    }
    return out;
}

TEST(RandomWalk, TheSameSeedReplaysTheSamePrices) {
    EXPECT_EQ(path(42, 200), path(42, 200));
}

TEST(RandomWalk, AnotherSeedTakesAnotherPath) {
    EXPECT_NE(path(42, 50), path(43, 50));
}

TEST(RandomWalk, EverySymbolOfTheCatalogWalks) {
    RandomWalk walk(1, SymbolCatalog::default_catalog(), 0.001);
    EXPECT_EQ(walk.current().size(), SymbolCatalog::default_catalog().all().size());
}

TEST(RandomWalk, PricesStayPositiveAndOnTheirTick) {
    RandomWalk walk(7, SymbolCatalog::default_catalog(), 0.01);
    for (int i = 0; i < 2000; ++i) {
        for (const auto& walker : walk.step()) {
            ASSERT_GT(walker.price, domain::Decimal{}) << walker.symbol;
            ASSERT_TRUE(domain::is_multiple_of(walker.price, walker.tick_size)) << walker.symbol;
        }
    }
}

TEST(RandomWalk, StepsAreSmallAtLowVolatility) {
    RandomWalk walk(3, SymbolCatalog::default_catalog(), 0.0005);
    const auto before = walk.current();
    const auto& after = walk.step();
    for (std::size_t i = 0; i < before.size(); ++i) {
        // 5 bp of volatility: a single step moving 2% would be a 40-sigma event.
        const auto ratio = static_cast<double>(after[i].price.units()) /
                           static_cast<double>(before[i].price.units());
        EXPECT_NEAR(ratio, 1.0, 0.02) << before[i].symbol;
    }
}

}  // namespace
}  // namespace botcore::market
