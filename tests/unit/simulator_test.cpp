#include "market/simulator.hpp"

#include <gtest/gtest.h>

#include <map>

#include "market/simulated_feed.hpp"

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

TEST(RandomWalk, AWalkMovedToAPriceContinuesFromIt) {
    RandomWalk walk(5, SymbolCatalog::default_catalog(), 0.0005);
    walk.move_to("BTCUSDT", *domain::Decimal::parse("71234.567"));
    const auto btc = [&walk] {
        for (const auto& walker : walk.current()) {
            if (walker.symbol == "BTCUSDT") {
                return walker;
            }
        }
        return RandomWalk::Walker{};
    };
    // Rounded down to the tick (0.1), then one small step away from there, not from 65,000.
    EXPECT_EQ(btc().price, *domain::Decimal::parse("71234.5"));
    walk.step();
    const auto ratio = static_cast<double>(btc().price.units()) /
                       static_cast<double>(domain::Decimal::parse("71234.5")->units());
    EXPECT_NEAR(ratio, 1.0, 0.02);
    EXPECT_NE(btc().price, *domain::Decimal::parse("71234.5"));
}

TEST(RandomWalk, MovingAnUnknownSymbolOrBelowOneTickKeepsPricesValid) {
    RandomWalk walk(5, SymbolCatalog::default_catalog(), 0.0005);
    const auto before = walk.current();
    walk.move_to("NOPEUSDT", *domain::Decimal::parse("5"));
    for (std::size_t i = 0; i < before.size(); ++i) {
        EXPECT_EQ(walk.current()[i].price, before[i].price);
    }
    walk.move_to("ETHUSDT", *domain::Decimal::parse("0.00000001"));
    for (const auto& walker : walk.current()) {
        if (walker.symbol == "ETHUSDT") {
            EXPECT_EQ(walker.price, walker.tick_size);
        }
    }
}

TEST(SimulatedFeed, AFeedStandingByStartsFromThePricesItFollowed) {
    std::vector<ports::Tick> published;
    SimulatedFeed feed(RandomWalk(5, SymbolCatalog::default_catalog(), 0.0005),
                       std::chrono::hours(1),  // no step during the test
                       [&published](std::span<const ports::Tick> ticks) {
                           published.assign(ticks.begin(), ticks.end());
                       });
    const std::vector<ports::Tick> leader{{"BTCUSDT", *domain::Decimal::parse("70000"), {}, 1},
                                          {"SOLUSDT", *domain::Decimal::parse("171.25"), {}, 1}};
    feed.follow(leader);
    feed.start();
    feed.stop();
    std::map<std::string, domain::Decimal> prices;
    for (const auto& tick : published) {
        prices[tick.symbol] = tick.price;
    }
    EXPECT_EQ(prices.size(), SymbolCatalog::default_catalog().all().size());
    EXPECT_EQ(prices["BTCUSDT"], *domain::Decimal::parse("70000"));
    EXPECT_EQ(prices["SOLUSDT"], *domain::Decimal::parse("171.25"));
    EXPECT_EQ(prices["ETHUSDT"],
              RandomWalk::start_price(*SymbolCatalog::default_catalog().find("ETHUSDT")));
}

TEST(RandomWalk, AStepsVolatilityKeepsTheMovePerSecondWhateverTheTickRate) {
    using std::chrono::milliseconds;
    EXPECT_DOUBLE_EQ(RandomWalk::step_volatility(0.0005, milliseconds(1000)), 0.0005);
    EXPECT_DOUBLE_EQ(RandomWalk::step_volatility(0.0005, milliseconds(250)), 0.00025);
    // Ten steps of 100 ms add up to the variance of one second.
    const auto step = RandomWalk::step_volatility(0.0005, milliseconds(100));
    EXPECT_NEAR(10 * step * step, 0.0005 * 0.0005, 1e-15);
}

TEST(RandomWalk, StepsTradeVolumeAroundTheTurnoverAndMoreOnBigMoves) {
    RandomWalk walk(7, SymbolCatalog::default_catalog(), 0.0005, 1'000.0);
    double turnover = 0;
    double still = 0;
    double moving = 0;
    int still_steps = 0;
    int moving_steps = 0;
    constexpr int kSteps = 20'000;
    for (int i = 0; i < kSteps; ++i) {
        const double before = static_cast<double>(walk.current()[0].price.units());
        const auto& walker = walk.step_one(0);
        ASSERT_GT(walker.volume, domain::Decimal{});
        const double price = static_cast<double>(walker.price.units());
        const double quote = static_cast<double>(walker.volume.units()) * price /
                             static_cast<double>(domain::Decimal::kOne) /
                             static_cast<double>(domain::Decimal::kOne);
        turnover += quote;
        const double move = std::abs(price / before - 1.0);
        if (move < 0.0002) {  // under half a sigma
            still += quote;
            ++still_steps;
        } else if (move > 0.001) {  // over two sigmas
            moving += quote;
            ++moving_steps;
        }
    }
    EXPECT_NEAR(turnover / kSteps, 1'000.0, 100.0);
    ASSERT_GT(still_steps, 0);
    ASSERT_GT(moving_steps, 0);
    EXPECT_GT(moving / moving_steps, 2.0 * still / still_steps);
}

TEST(RandomWalk, WithoutATurnoverNothingIsTraded) {
    RandomWalk walk(7, SymbolCatalog::default_catalog(), 0.0005);
    EXPECT_EQ(walk.step_one(0).volume, domain::Decimal{});
}

}  // namespace
}  // namespace botcore::market
