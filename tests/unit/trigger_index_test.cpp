#include "domain/trigger_index.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace botcore::domain {
namespace {

constexpr SymbolId kBtc = 0;
constexpr SymbolId kEth = 1;

Decimal dec(std::string_view text) {
    return *Decimal::parse(text);
}

std::vector<TriggerKey> keys(const std::vector<FiredTrigger>& fired) {
    std::vector<TriggerKey> out;
    for (const auto& f : fired) {
        out.push_back(f.key);
    }
    std::sort(out.begin(), out.end());
    return out;
}

using Keys = std::vector<TriggerKey>;

// --- Fixed levels ---

TEST(TriggerIndex, RisingTriggerFiresWhenThePriceReachesItsLevelExactly) {
    TriggerIndex index;
    index.add(7, kBtc, Crossing::kRising, dec("100"));
    const auto fired = index.tick(kBtc, dec("100"));
    ASSERT_EQ(fired.size(), 1u);
    EXPECT_EQ(fired[0].key, 7u);
    EXPECT_EQ(fired[0].level, dec("100"));
    EXPECT_EQ(fired[0].crossing, Crossing::kRising);
}

TEST(TriggerIndex, RisingTriggerFiresWhenThePriceJumpsBeyondItsLevel) {
    TriggerIndex index;
    index.add(7, kBtc, Crossing::kRising, dec("100"));
    EXPECT_EQ(keys(index.tick(kBtc, dec("250"))), Keys{7});
}

TEST(TriggerIndex, RisingTriggerDoesNotFireOneUnitBelowItsLevel) {
    TriggerIndex index;
    index.add(7, kBtc, Crossing::kRising, dec("100"));
    EXPECT_TRUE(index.tick(kBtc, dec("99.99999999")).empty());
    EXPECT_EQ(index.size(), 1u);
}

TEST(TriggerIndex, FallingTriggerFiresWhenThePriceReachesItsLevelExactly) {
    TriggerIndex index;
    index.add(7, kBtc, Crossing::kFalling, dec("100"));
    const auto fired = index.tick(kBtc, dec("100"));
    ASSERT_EQ(fired.size(), 1u);
    EXPECT_EQ(fired[0].key, 7u);
    EXPECT_EQ(fired[0].crossing, Crossing::kFalling);
}

TEST(TriggerIndex, FallingTriggerFiresWhenThePriceGapsBelowItsLevel) {
    TriggerIndex index;
    index.add(7, kBtc, Crossing::kFalling, dec("100"));
    EXPECT_EQ(keys(index.tick(kBtc, dec("42"))), Keys{7});
}

TEST(TriggerIndex, FallingTriggerDoesNotFireOneUnitAboveItsLevel) {
    TriggerIndex index;
    index.add(7, kBtc, Crossing::kFalling, dec("100"));
    EXPECT_TRUE(index.tick(kBtc, dec("100.00000001")).empty());
}

TEST(TriggerIndex, ATickFiresOnlyTheLevelsItReaches) {
    TriggerIndex index;
    index.add(1, kBtc, Crossing::kRising, dec("101"));
    index.add(2, kBtc, Crossing::kRising, dec("103"));
    index.add(3, kBtc, Crossing::kRising, dec("105"));
    index.add(4, kBtc, Crossing::kFalling, dec("99"));
    index.add(5, kBtc, Crossing::kFalling, dec("97"));
    EXPECT_EQ(keys(index.tick(kBtc, dec("103"))), (Keys{1, 2}));
    EXPECT_EQ(keys(index.tick(kBtc, dec("98"))), Keys{4});
    EXPECT_EQ(index.size(), 2u);
}

TEST(TriggerIndex, AFiredTriggerNeverFiresTwice) {
    TriggerIndex index;
    const auto handle = index.add(7, kBtc, Crossing::kRising, dec("100"));
    EXPECT_EQ(index.tick(kBtc, dec("101")).size(), 1u);
    EXPECT_TRUE(index.tick(kBtc, dec("102")).empty());
    EXPECT_FALSE(index.contains(handle));
    EXPECT_EQ(index.size(), 0u);
}

TEST(TriggerIndex, FiredTriggerCarriesTheHandleItWasAddedWith) {
    TriggerIndex index;
    const auto handle = index.add(7, kBtc, Crossing::kFalling, dec("100"));
    const auto fired = index.tick(kBtc, dec("90"));
    ASSERT_EQ(fired.size(), 1u);
    EXPECT_EQ(fired[0].handle, handle);
}

TEST(TriggerIndex, ManyTriggersAtTheSameLevelAllFireOnOneTick) {
    TriggerIndex index;
    Keys expected;
    for (TriggerKey key = 0; key < 1000; ++key) {
        index.add(key, kBtc, Crossing::kFalling, dec("95.5"));
        expected.push_back(key);
    }
    EXPECT_EQ(keys(index.tick(kBtc, dec("95.5"))), expected);
    EXPECT_EQ(index.size(), 0u);
}

TEST(TriggerIndex, ARemovedTriggerDoesNotFire) {
    TriggerIndex index;
    const auto handle = index.add(7, kBtc, Crossing::kRising, dec("100"));
    index.add(8, kBtc, Crossing::kRising, dec("100"));
    EXPECT_TRUE(index.remove(handle));
    EXPECT_EQ(keys(index.tick(kBtc, dec("100"))), Keys{8});
}

TEST(TriggerIndex, RemovingAFiredOrRemovedTriggerIsRefused) {
    TriggerIndex index;
    const auto fires = index.add(7, kBtc, Crossing::kRising, dec("100"));
    const auto removed = index.add(8, kBtc, Crossing::kRising, dec("200"));
    index.tick(kBtc, dec("150"));
    EXPECT_TRUE(index.remove(removed));
    EXPECT_FALSE(index.remove(fires));
    EXPECT_FALSE(index.remove(removed));
}

TEST(TriggerIndex, AStaleHandleDoesNotReachTheTriggerThatReusedItsSlot) {
    TriggerIndex index;
    const auto old = index.add(7, kBtc, Crossing::kRising, dec("100"));
    ASSERT_TRUE(index.remove(old));
    const auto fresh = index.add(8, kBtc, Crossing::kRising, dec("100"));
    EXPECT_EQ(old.slot, fresh.slot);
    EXPECT_FALSE(index.remove(old));
    EXPECT_FALSE(index.update(old, dec("1")));
    EXPECT_EQ(keys(index.tick(kBtc, dec("100"))), Keys{8});
}

TEST(TriggerIndex, AnUpdatedLevelIsTheOneThatFires) {
    TriggerIndex index;
    const auto handle = index.add(7, kBtc, Crossing::kFalling, dec("90"));
    ASSERT_TRUE(index.update(handle, dec("95")));
    EXPECT_EQ(index.level(handle), dec("95"));
    EXPECT_EQ(keys(index.tick(kBtc, dec("94"))), Keys{7});
}

TEST(TriggerIndex, AMovedAwayLevelNoLongerFiresAtTheOldOne) {
    TriggerIndex index;
    const auto handle = index.add(7, kBtc, Crossing::kRising, dec("110"));
    index.add(8, kBtc, Crossing::kRising, dec("115"));
    ASSERT_TRUE(index.update(handle, dec("120")));
    EXPECT_EQ(keys(index.tick(kBtc, dec("116"))), Keys{8});
    EXPECT_EQ(keys(index.tick(kBtc, dec("120"))), Keys{7});
}

TEST(TriggerIndex, SymbolsAreIndependent) {
    TriggerIndex index;
    index.add(1, kBtc, Crossing::kRising, dec("100"));
    index.add(2, kEth, Crossing::kRising, dec("100"));
    index.add(3, kEth, Crossing::kFalling, dec("50"));
    EXPECT_EQ(keys(index.tick(kEth, dec("100"))), Keys{2});
    EXPECT_EQ(keys(index.tick(kBtc, dec("40"))), Keys{});
    EXPECT_EQ(keys(index.tick(kBtc, dec("100"))), Keys{1});
    EXPECT_EQ(keys(index.tick(kEth, dec("40"))), Keys{3});
}

TEST(TriggerIndex, ATickOfASymbolWithNoTriggersFiresNothing) {
    TriggerIndex index;
    index.add(1, kBtc, Crossing::kRising, dec("100"));
    EXPECT_TRUE(index.tick(5, dec("1000")).empty());
}

// --- Trailing stops ---

TEST(TrailingStop, LongStopSitsTheFractionBelowItsAnchor) {
    TriggerIndex index;
    const auto handle = index.add_trailing(1, kBtc, Crossing::kFalling, dec("100"), dec("0.1"));
    EXPECT_EQ(index.level(handle), dec("90"));
    EXPECT_EQ(index.anchor(handle), dec("100"));
}

TEST(TrailingStop, LongStopFollowsANewHigh) {
    TriggerIndex index;
    const auto handle = index.add_trailing(1, kBtc, Crossing::kFalling, dec("100"), dec("0.1"));
    EXPECT_TRUE(index.tick(kBtc, dec("120")).empty());
    EXPECT_EQ(index.anchor(handle), dec("120"));
    EXPECT_EQ(index.level(handle), dec("108"));  // 120 * 0.9
}

TEST(TrailingStop, LongStopNeverMovesDownWhenThePriceFalls) {
    TriggerIndex index;
    const auto handle = index.add_trailing(1, kBtc, Crossing::kFalling, dec("100"), dec("0.1"));
    index.tick(kBtc, dec("120"));
    EXPECT_TRUE(index.tick(kBtc, dec("110")).empty());
    EXPECT_EQ(index.level(handle), dec("108"));
    EXPECT_TRUE(index.tick(kBtc, dec("108.00000001")).empty());
    EXPECT_EQ(index.level(handle), dec("108"));
}

TEST(TrailingStop, LongStopFiresAtItsRatchetedLevel) {
    TriggerIndex index;
    index.add_trailing(1, kBtc, Crossing::kFalling, dec("100"), dec("0.1"));
    index.tick(kBtc, dec("120"));
    const auto fired = index.tick(kBtc, dec("108"));
    ASSERT_EQ(fired.size(), 1u);
    EXPECT_EQ(fired[0].key, 1u);
    EXPECT_EQ(fired[0].level, dec("108"));
    EXPECT_EQ(fired[0].crossing, Crossing::kFalling);
    EXPECT_EQ(index.size(), 0u);
}

TEST(TrailingStop, ShortStopFollowsANewLowAndNeverMovesUp) {
    TriggerIndex index;
    const auto handle = index.add_trailing(1, kBtc, Crossing::kRising, dec("100"), dec("0.1"));
    EXPECT_EQ(index.level(handle), dec("110"));
    index.tick(kBtc, dec("80"));
    EXPECT_EQ(index.level(handle), dec("88"));  // 80 * 1.1
    EXPECT_TRUE(index.tick(kBtc, dec("87.99999999")).empty());
    EXPECT_EQ(index.level(handle), dec("88"));
    EXPECT_EQ(keys(index.tick(kBtc, dec("88"))), Keys{1});
}

TEST(TrailingStop, StopsSetAtDifferentTimesKeepTheirOwnAnchors) {
    TriggerIndex index;
    const auto early = index.add_trailing(1, kBtc, Crossing::kFalling, dec("100"), dec("0.1"));
    index.tick(kBtc, dec("120"));
    const auto late = index.add_trailing(2, kBtc, Crossing::kFalling, dec("110"), dec("0.1"));
    index.tick(kBtc, dec("115"));
    EXPECT_EQ(index.anchor(early), dec("120"));
    EXPECT_EQ(index.anchor(late), dec("115"));
    index.tick(kBtc, dec("130"));
    EXPECT_EQ(index.anchor(early), dec("130"));
    EXPECT_EQ(index.anchor(late), dec("130"));
}

TEST(TrailingStop, StopsWithDifferentFractionsFireAtTheirOwnLevels) {
    TriggerIndex index;
    index.add_trailing(1, kBtc, Crossing::kFalling, dec("100"), dec("0.02"));
    index.add_trailing(2, kBtc, Crossing::kFalling, dec("100"), dec("0.05"));
    index.tick(kBtc, dec("200"));  // levels 196 and 190
    EXPECT_EQ(keys(index.tick(kBtc, dec("195"))), Keys{1});
    EXPECT_TRUE(index.tick(kBtc, dec("190.00000001")).empty());
    EXPECT_EQ(keys(index.tick(kBtc, dec("190"))), Keys{2});
}

TEST(TrailingStop, ARemovedStopDoesNotFire) {
    TriggerIndex index;
    const auto handle = index.add_trailing(1, kBtc, Crossing::kFalling, dec("100"), dec("0.1"));
    index.add_trailing(2, kBtc, Crossing::kFalling, dec("100"), dec("0.1"));
    EXPECT_TRUE(index.remove(handle));
    EXPECT_EQ(keys(index.tick(kBtc, dec("90"))), Keys{2});
}

TEST(TrailingStop, CannotBeGivenAFixedLevel) {
    TriggerIndex index;
    const auto handle = index.add_trailing(1, kBtc, Crossing::kFalling, dec("100"), dec("0.1"));
    EXPECT_FALSE(index.update(handle, dec("95")));
    EXPECT_EQ(index.level(handle), dec("90"));
}

TEST(TrailingStop, LevelIsRoundedAwayFromTheAnchor) {
    TriggerIndex index;
    // 3 units * 0.5 = 1.5 units: the long's stop goes down to 1, the short's (4.5) up to 5.
    const auto long_stop =
        index.add_trailing(1, kBtc, Crossing::kFalling, Decimal::from_units(3), dec("0.5"));
    const auto short_stop =
        index.add_trailing(2, kBtc, Crossing::kRising, Decimal::from_units(3), dec("0.5"));
    EXPECT_EQ(index.level(long_stop), Decimal::from_units(1));
    EXPECT_EQ(index.level(short_stop), Decimal::from_units(5));
}

TEST(TrailingStop, AFractionOfAWholeOrMoreIsRefused) {
    TriggerIndex index;
    EXPECT_THROW(index.add_trailing(1, kBtc, Crossing::kFalling, dec("100"), dec("1")),
                 std::invalid_argument);
    EXPECT_THROW(index.add_trailing(1, kBtc, Crossing::kRising, dec("100"), dec("-0.1")),
                 std::invalid_argument);
    EXPECT_EQ(index.size(), 0u);
}

// --- Against a brute-force scan ---

struct ModelTrigger {
    TriggerHandle handle;
    TriggerKey key;
    SymbolId symbol;
    Crossing crossing;
    bool trailing;
    std::int64_t level_or_anchor;
    std::int64_t fraction;  // of Decimal::kOne
};

std::int64_t model_level(const ModelTrigger& t) {
    if (!t.trailing) {
        return t.level_or_anchor;
    }
    const __int128 scaled = __int128{t.level_or_anchor} * (t.crossing == Crossing::kFalling
                                                               ? Decimal::kOne - t.fraction
                                                               : Decimal::kOne + t.fraction);
    // Long: round down; short: round up.
    return static_cast<std::int64_t>(t.crossing == Crossing::kFalling
                                         ? scaled / Decimal::kOne
                                         : (scaled + Decimal::kOne - 1) / Decimal::kOne);
}

TEST(TriggerIndexProperty, FiresExactlyWhatAScanOfEveryTriggerFires) {
    constexpr int kSymbols = 4;
    constexpr int kTriggers = 5000;
    constexpr int kTicks = 2000;
    const std::int64_t unit = Decimal::kOne / 2;  // a coarse grid, so that levels coincide
    std::mt19937_64 random(20261126);
    std::vector<std::int64_t> mid(kSymbols, 1000 * Decimal::kOne);
    std::vector<ModelTrigger> model;
    TriggerIndex index;
    TriggerKey next_key = 0;
    int fired_plain = 0;
    int fired_trailing = 0;

    auto add_one = [&] {
        ModelTrigger t{};
        t.key = next_key++;
        t.symbol = static_cast<SymbolId>(random() % kSymbols);
        t.crossing = random() % 2 == 0 ? Crossing::kRising : Crossing::kFalling;
        t.trailing = random() % 5 == 0;
        const auto offset = static_cast<std::int64_t>(random() % 200) * unit;
        if (t.trailing) {
            t.fraction = static_cast<std::int64_t>(1 + random() % 3) * Decimal::kOne / 100;
            t.level_or_anchor = mid[t.symbol] + offset - 100 * unit;
            t.handle = index.add_trailing(t.key, t.symbol, t.crossing,
                                          Decimal::from_units(t.level_or_anchor),
                                          Decimal::from_units(t.fraction));
        } else {
            t.level_or_anchor =
                mid[t.symbol] + (t.crossing == Crossing::kRising ? offset : -offset);
            t.handle =
                index.add(t.key, t.symbol, t.crossing, Decimal::from_units(t.level_or_anchor));
        }
        model.push_back(t);
    };
    for (int i = 0; i < kTriggers; ++i) {
        add_one();
    }

    for (int tick = 0; tick < kTicks; ++tick) {
        // Occasionally remove or move a trigger first.
        if (!model.empty() && random() % 4 == 0) {
            const std::size_t at = random() % model.size();
            ASSERT_TRUE(index.remove(model[at].handle));
            model[at] = model.back();
            model.pop_back();
        }
        if (!model.empty() && random() % 4 == 0) {
            ModelTrigger& t = model[random() % model.size()];
            const std::int64_t level =
                mid[t.symbol] + static_cast<std::int64_t>(random() % 200) * unit - 100 * unit;
            ASSERT_EQ(index.update(t.handle, Decimal::from_units(level)), !t.trailing);
            if (!t.trailing) {
                t.level_or_anchor = level;
            }
        }

        const auto symbol = static_cast<SymbolId>(random() % kSymbols);
        mid[symbol] += (static_cast<std::int64_t>(random() % 41) - 20) * unit;
        const std::int64_t price = mid[symbol];

        Keys expected;
        std::vector<ModelTrigger> kept;
        for (ModelTrigger& t : model) {
            if (t.symbol != symbol) {
                kept.push_back(t);
                continue;
            }
            const std::int64_t level = model_level(t);
            const bool fires = t.crossing == Crossing::kRising ? price >= level : price <= level;
            if (fires) {
                expected.push_back(t.key);
                ++(t.trailing ? fired_trailing : fired_plain);
                continue;
            }
            if (t.trailing) {
                t.level_or_anchor = t.crossing == Crossing::kFalling
                                        ? std::max(t.level_or_anchor, price)
                                        : std::min(t.level_or_anchor, price);
            }
            kept.push_back(t);
        }
        model = std::move(kept);
        std::sort(expected.begin(), expected.end());

        ASSERT_EQ(keys(index.tick(symbol, Decimal::from_units(price))), expected)
            << "tick " << tick;
        ASSERT_EQ(index.size(), model.size());
        for (int probe = 0; probe < 5 && !model.empty(); ++probe) {
            const ModelTrigger& t = model[random() % model.size()];
            ASSERT_EQ(index.level(t.handle), Decimal::from_units(model_level(t)));
        }
        while (model.size() < static_cast<std::size_t>(kTriggers)) {
            add_one();
        }
    }
    // The walk has to have fired plenty of both, or the comparison proved little.
    EXPECT_GT(fired_plain, 1000);
    EXPECT_GT(fired_trailing, 1000);
}

}  // namespace
}  // namespace botcore::domain
