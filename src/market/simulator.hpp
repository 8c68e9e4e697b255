// The default price source: a seeded random walk per symbol. Deterministic: the same seed and
// the same number of steps give the same prices, so a test can replay any path.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "domain/decimal.hpp"
#include "domain/symbol.hpp"

namespace botcore::market {

class RandomWalk {
  public:
    struct Walker {
        std::string symbol;
        domain::Decimal price;
        domain::Decimal tick_size;
        domain::Decimal volume;  // base asset traded in the last step
    };

    // volatility: standard deviation of one step's relative move (e.g. 0.0005 = 5 bp).
    // step_turnover: the quote (USDT) value traded per step on average; each step's volume
    // varies around it and grows with the size of the step's move, as a market's does. 0: no
    // volume (and the prices of a seed are those of a walk without volume).
    RandomWalk(std::uint64_t seed, const domain::SymbolCatalog& catalog, double volatility,
               double step_turnover = 0.0);

    // Moves every symbol one step; prices stay on their tick and above zero.
    const std::vector<Walker>& step();
    // Moves one symbol (index into current()) one step.
    const Walker& step_one(std::size_t index);
    const std::vector<Walker>& current() const { return walkers_; }
    // Continues a symbol's walk from this price (rounded down to its tick, at least one tick):
    // how an instance whose feed stood by takes over another's path. Unknown symbols are ignored.
    void move_to(std::string_view symbol, domain::Decimal price);

    // The volatility of one step of `step` that gives `per_second` over each second, whatever
    // the step (variances add up over steps).
    static double step_volatility(double per_second, std::chrono::milliseconds step);

    // A plausible starting price for a catalog symbol (100 for one it does not know).
    static domain::Decimal start_price(const domain::SymbolSpec& spec);

  private:
    std::mt19937_64 random_;
    std::normal_distribution<double> normal_{0.0, 1.0};
    double volatility_;
    double step_turnover_;
    std::vector<Walker> walkers_;
};

}  // namespace botcore::market
