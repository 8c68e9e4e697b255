#include "analysis/vote_combination.hpp"

#include <algorithm>

namespace botcore::analysis {
namespace {

struct Tally {
    int enabled = 0;
    int bullish = 0;
    int bearish = 0;
    double bullish_confidence = 0.0;  // sums
    double bearish_confidence = 0.0;
};

Tally tally(StrategySet enabled, const StrategyVotes& votes) {
    Tally t;
    for (const auto s : kStrategies) {
        if (!enabled.contains(s)) {
            continue;
        }
        ++t.enabled;
        const Vote& v = votes[s];
        if (v.direction == Direction::kBullish) {
            ++t.bullish;
            t.bullish_confidence += v.confidence;
        } else if (v.direction == Direction::kBearish) {
            ++t.bearish;
            t.bearish_confidence += v.confidence;
        }
    }
    return t;
}

// The direction at least `needed` strategies agree on, with their mean confidence.
CombinedVote agreement(const Tally& t, int needed) {
    if (needed < 1) {
        return {};
    }
    if (t.bullish >= needed && t.bullish > t.bearish) {
        return {Direction::kBullish, t.bullish_confidence / t.bullish, t.bullish};
    }
    if (t.bearish >= needed && t.bearish > t.bullish) {
        return {Direction::kBearish, t.bearish_confidence / t.bearish, t.bearish};
    }
    return {};
}

CombinedVote consensus(const Tally& t) {
    return agreement(t, std::min(kConsensusQuorum, t.enabled));
}

CombinedVote weighted(const Tally& t) {
    if (t.enabled == 0) {
        return {};
    }
    const double score = (t.bullish_confidence - t.bearish_confidence) / t.enabled;
    if (score >= kWeightedThreshold) {
        return {Direction::kBullish, std::min(score, 1.0), t.bullish};
    }
    if (score <= -kWeightedThreshold) {
        return {Direction::kBearish, std::min(-score, 1.0), t.bearish};
    }
    return {};
}

CombinedVote best_confidence(StrategySet enabled, const StrategyVotes& votes) {
    double best_bullish = 0.0;
    double best_bearish = 0.0;
    int bullish = 0;
    int bearish = 0;
    for (const auto s : kStrategies) {
        if (!enabled.contains(s)) {
            continue;
        }
        const Vote& v = votes[s];
        if (v.direction == Direction::kBullish) {
            ++bullish;
            best_bullish = std::max(best_bullish, v.confidence);
        } else if (v.direction == Direction::kBearish) {
            ++bearish;
            best_bearish = std::max(best_bearish, v.confidence);
        }
    }
    if (bullish > 0 && best_bullish > best_bearish) {
        return {Direction::kBullish, best_bullish, bullish};
    }
    if (bearish > 0 && best_bearish > best_bullish) {
        return {Direction::kBearish, best_bearish, bearish};
    }
    return {};
}

CombinedVote conservative(const Tally& t) {
    const auto all = agreement(t, t.enabled);
    return all.confidence >= kConservativeMinConfidence ? all : CombinedVote{};
}

}  // namespace

std::string_view to_string(CombinationMode mode) {
    switch (mode) {
        case CombinationMode::kConsensus:
            return "consensus";
        case CombinationMode::kWeighted:
            return "weighted";
        case CombinationMode::kBestConfidence:
            return "best_confidence";
        case CombinationMode::kConservative:
            return "conservative";
    }
    return "consensus";
}

std::optional<CombinationMode> parse_combination_mode(std::string_view text) {
    for (const auto mode : {CombinationMode::kConsensus, CombinationMode::kWeighted,
                            CombinationMode::kBestConfidence, CombinationMode::kConservative}) {
        if (to_string(mode) == text) {
            return mode;
        }
    }
    return std::nullopt;
}

CombinedVote combine_votes(CombinationMode mode, StrategySet enabled, const StrategyVotes& votes) {
    switch (mode) {
        case CombinationMode::kConsensus:
            return consensus(tally(enabled, votes));
        case CombinationMode::kWeighted:
            return weighted(tally(enabled, votes));
        case CombinationMode::kBestConfidence:
            return best_confidence(enabled, votes);
        case CombinationMode::kConservative:
            return conservative(tally(enabled, votes));
    }
    return {};
}

}  // namespace botcore::analysis
