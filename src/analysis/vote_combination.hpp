// How a bot turns the five strategy votes into one decision, under the user's combination mode and
// enabled strategies. Votes of strategies that are not enabled are ignored.
#pragma once

#include <optional>
#include <string_view>

#include "analysis/strategy_votes.hpp"

namespace botcore::analysis {

enum class CombinationMode {
    // At least kConsensusQuorum enabled strategies vote the same direction (all of them when fewer
    // are enabled). Confidence: the mean confidence of the agreeing votes.
    kConsensus,
    // score = sum over enabled strategies of sign(direction) * confidence, divided by the number
    // enabled; |score| >= kWeightedThreshold gives its direction. Confidence: |score|.
    kWeighted,
    // The most confident enabled directional vote decides; an opposite vote of equal confidence
    // makes it neutral. Confidence: that vote's.
    kBestConfidence,
    // Every enabled strategy votes the same direction and the mean of their confidences is at least
    // kConservativeMinConfidence. Confidence: that mean.
    kConservative,
};

inline constexpr int kConsensusQuorum = 3;
inline constexpr double kWeightedThreshold = 0.25;
inline constexpr double kConservativeMinConfidence = 0.6;

// "consensus", "weighted", "best_confidence", "conservative"
std::string_view to_string(CombinationMode mode);
std::optional<CombinationMode> parse_combination_mode(std::string_view text);

struct CombinedVote {
    Direction direction = Direction::kNeutral;
    double confidence = 0.0;  // 0..1; 0 when neutral
    int agreeing = 0;         // enabled strategies voting `direction` (0 when neutral)
    bool operator==(const CombinedVote&) const = default;
};

// Neutral when no strategy is enabled.
CombinedVote combine_votes(CombinationMode mode, StrategySet enabled, const StrategyVotes& votes);

}  // namespace botcore::analysis
