#include "analysis/vote_combination.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string_view>
#include <vector>

namespace botcore::analysis {
namespace {

constexpr auto B = Direction::kBullish;
constexpr auto S = Direction::kBearish;
constexpr auto N = Direction::kNeutral;

struct Cast {
    Direction direction = N;
    double confidence = 0.0;
};

constexpr Cast b(double confidence) {
    return {B, confidence};
}
constexpr Cast s(double confidence) {
    return {S, confidence};
}
constexpr Cast n{N, 0.0};

// Enabled strategies as a mask in the order rsi, macd, bollinger, stochastic, volume:
// "11100" = rsi, macd and bollinger.
StrategySet enabled(std::string_view mask) {
    StrategySet set;
    for (std::size_t i = 0; i < mask.size(); ++i) {
        if (mask[i] == '1') {
            set.insert(kStrategies[i]);
        }
    }
    return set;
}

struct Row {
    const char* mask;
    std::array<Cast, 5> casts;  // in the same order
    Direction direction;
    double confidence;
    int agreeing;
    const char* name;
};

void check(CombinationMode mode, const std::vector<Row>& rows) {
    for (const auto& row : rows) {
        StrategyVotes votes;
        for (std::size_t i = 0; i < row.casts.size(); ++i) {
            votes.by_strategy[i].direction = row.casts[i].direction;
            votes.by_strategy[i].confidence = row.casts[i].confidence;
        }
        const auto got = combine_votes(mode, enabled(row.mask), votes);
        EXPECT_EQ(got.direction, row.direction) << row.name;
        EXPECT_NEAR(got.confidence, row.confidence, 1e-9) << row.name;
        EXPECT_EQ(got.agreeing, row.agreeing) << row.name;
    }
}

TEST(CombineVotes, Consensus) {
    const std::vector<Row> rows = {
        {"11111", {b(.6), b(.8), b(1), n, n}, B, 0.8, 3, "three of five agree"},
        {"11111", {b(.9), b(.9), n, n, n}, N, 0, 0, "two of five are not enough"},
        {"11111", {s(.5), s(.6), s(.7), b(1), b(1)}, S, 0.6, 3, "three against two"},
        {"11110", {b(.5), s(.9), b(.7), b(.6), n}, B, 0.6, 3, "three of four"},
        {"11000", {s(.5), s(.7), n, n, n}, S, 0.6, 2, "two enabled must both agree"},
        {"11000", {b(.9), n, b(1), b(1), b(1)}, N, 0, 0, "two enabled, one neutral"},
        {"00010", {s(1), s(1), n, b(.9), s(1)}, B, 0.9, 1, "one enabled decides alone"},
        {"11100", {b(.8), b(.8), n, b(1), b(1)}, N, 0, 0, "disabled votes do not count"},
        {"00000", {b(1), b(1), b(1), b(1), b(1)}, N, 0, 0, "nothing enabled"},
    };
    check(CombinationMode::kConsensus, rows);
}

TEST(CombineVotes, Weighted) {
    // score = (sum of bullish confidences - sum of bearish ones) / number enabled
    const std::vector<Row> rows = {
        {"11111", {b(.8), b(.7), n, n, n}, B, 0.3, 2, "two confident of five"},
        {"11111", {b(1), n, n, n, n}, N, 0, 0, "one sure vote of five is too little"},
        {"11111", {b(1), b(1), s(.5), n, n}, B, 0.3, 2, "opposing votes subtract"},
        {"11111", {b(1), b(.25), n, n, n}, B, 0.25, 2, "exactly the threshold"},
        {"01001", {n, s(.6), b(1), b(1), n}, S, 0.3, 1, "divided by the enabled count"},
        {"11000", {b(.5), s(.5), n, n, n}, N, 0, 0, "balanced"},
    };
    check(CombinationMode::kWeighted, rows);
}

TEST(CombineVotes, BestConfidence) {
    const std::vector<Row> rows = {
        {"11111", {b(.7), s(.9), b(.8), n, n}, S, 0.9, 1, "the most confident wins"},
        {"11111", {b(.8), s(.8), n, n, n}, N, 0, 0, "a tie between opposites is neutral"},
        {"10000", {b(.6), s(1), s(1), s(1), s(1)}, B, 0.6, 1, "a disabled sure vote is ignored"},
        {"11111", {n, n, n, n, n}, N, 0, 0, "all neutral"},
    };
    check(CombinationMode::kBestConfidence, rows);
}

TEST(CombineVotes, Conservative) {
    const std::vector<Row> rows = {
        {"10101", {b(.6), s(1), b(.7), n, b(.8)}, B, 0.7, 3, "all three agree confidently"},
        {"11100", {b(.5), b(.5), b(.7), n, n}, N, 0, 0, "agreement too weak"},
        {"11111", {b(1), b(1), b(1), b(1), n}, N, 0, 0, "one neutral of five"},
        {"11111", {s(1), s(1), s(1), s(1), b(.5)}, N, 0, 0, "one against"},
        {"01000", {n, s(.6), n, n, n}, S, 0.6, 1, "exactly the minimum"},
    };
    check(CombinationMode::kConservative, rows);
}

TEST(CombinationModeNames, RoundTrip) {
    for (const auto mode : {CombinationMode::kConsensus, CombinationMode::kWeighted,
                            CombinationMode::kBestConfidence, CombinationMode::kConservative}) {
        EXPECT_EQ(parse_combination_mode(to_string(mode)), mode);
    }
    EXPECT_EQ(to_string(CombinationMode::kBestConfidence), "best_confidence");
    EXPECT_FALSE(parse_combination_mode("majority"));
}

}  // namespace
}  // namespace botcore::analysis
