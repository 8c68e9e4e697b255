// Cost of a price tick against the trigger index: up to 1,000,000 open triggers (a stop-loss
// and a take-profit per position) across 20 symbols. A tick that reaches nothing compares the
// front of each side only, so its cost must not depend on how many triggers there are.
//
//   build/bench/trigger_index_bench --benchmark_repetitions=3
//   --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <malloc.h>

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "domain/trigger_index.hpp"

namespace {

using botcore::domain::Crossing;
using botcore::domain::Decimal;
using botcore::domain::FiredTrigger;
using botcore::domain::SymbolId;
using botcore::domain::TriggerIndex;

constexpr SymbolId kSymbols = 20;
constexpr std::int64_t kMid = 1000 * Decimal::kOne;
constexpr std::size_t kTicks = 4096;

// Half the positions long (stop-loss below the mid price, take-profit above), half short;
// every level 2-10% away from the mid price.
void fill(TriggerIndex& index, std::int64_t triggers) {
    std::mt19937_64 random(7);
    std::uniform_int_distribution<std::int64_t> offset(kMid / 50, kMid / 10);
    for (std::int64_t i = 0; i + 1 < triggers; i += 2) {
        const auto symbol = static_cast<SymbolId>((i / 2) % kSymbols);
        const bool is_long = (i / 2) % 3 != 0;
        const auto key = static_cast<std::uint64_t>(i);
        index.add(key, symbol, is_long ? Crossing::kFalling : Crossing::kRising,
                  Decimal::from_units(is_long ? kMid - offset(random) : kMid + offset(random)));
        index.add(key + 1, symbol, is_long ? Crossing::kRising : Crossing::kFalling,
                  Decimal::from_units(is_long ? kMid + offset(random) : kMid - offset(random)));
    }
}

// Random symbols at random prices within +-band of the mid price.
std::vector<std::pair<SymbolId, Decimal>> ticks(std::int64_t band) {
    std::mt19937_64 random(11);
    std::uniform_int_distribution<std::int64_t> move(-band, band);
    std::vector<std::pair<SymbolId, Decimal>> out;
    for (std::size_t i = 0; i < kTicks; ++i) {
        out.emplace_back(static_cast<SymbolId>(random() % kSymbols),
                         Decimal::from_units(kMid + move(random)));
    }
    return out;
}

void TickFiringNothing(benchmark::State& state) {
    const auto before = mallinfo2().uordblks;
    TriggerIndex index;
    fill(index, state.range(0));
    const auto bytes = mallinfo2().uordblks - before;
    const auto prices = ticks(kMid / 50 - 1);  // inside +-2%: the band no level is in
    std::vector<FiredTrigger> fired;
    std::size_t i = 0;
    for (auto _ : state) {
        const auto& [symbol, price] = prices[i++ % kTicks];
        fired.clear();
        benchmark::DoNotOptimize(index.tick(symbol, price, fired));
    }
    if (index.size() != static_cast<std::size_t>(state.range(0))) {
        state.SkipWithError("a tick fired");
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["bytes_per_trigger"] =
        static_cast<double>(bytes) / static_cast<double>(state.range(0));
}
BENCHMARK(TickFiringNothing)->Arg(10'000)->Arg(100'000)->Arg(1'000'000);

// One in ten triggers is a trailing stop (fractions 2-5%) whose anchor is the mid price: the
// first ticks move anchors, later ones mostly do not, none fires (ticks stay within +-1%).
void TickFiringNothingWithTrailingStops(benchmark::State& state) {
    const std::int64_t total = state.range(0);
    const auto before = mallinfo2().uordblks;
    TriggerIndex index;
    fill(index, total - total / 10);
    for (std::int64_t i = 0; i < total / 10; ++i) {
        const auto symbol = static_cast<SymbolId>(i % kSymbols);
        const auto fraction = Decimal::from_units((2 + i % 4) * Decimal::kOne / 100);
        index.add_trailing(static_cast<std::uint64_t>(total + i), symbol,
                           i % 2 == 0 ? Crossing::kFalling : Crossing::kRising,
                           Decimal::from_units(kMid), fraction);
    }
    const auto bytes = mallinfo2().uordblks - before;
    const auto prices = ticks(kMid / 100);
    std::vector<FiredTrigger> fired;
    std::size_t i = 0;
    for (auto _ : state) {
        const auto& [symbol, price] = prices[i++ % kTicks];
        fired.clear();
        benchmark::DoNotOptimize(index.tick(symbol, price, fired));
    }
    if (index.size() != static_cast<std::size_t>(total)) {
        state.SkipWithError("a tick fired");
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["bytes_per_trigger"] = static_cast<double>(bytes) / static_cast<double>(total);
}
BENCHMARK(TickFiringNothingWithTrailingStops)->Arg(1'000'000);

// Each tick fires ten triggers and the caller adds them again (as an evaluation re-registers
// a position), at the same level so that the symbol's next tick fires them again: the cost of
// firing, with the heap of 50,000 others per symbol under them.
void TickFiringTen(benchmark::State& state) {
    TriggerIndex index;
    fill(index, state.range(0));
    const auto crossed = Decimal::from_units(kMid + kMid / 100);  // +1%: no level there
    for (SymbolId symbol = 0; symbol < kSymbols; ++symbol) {
        for (std::uint64_t j = 0; j < 10; ++j) {
            index.add(j, symbol, Crossing::kRising, crossed);
        }
    }
    std::vector<FiredTrigger> fired;
    std::size_t fired_total = 0;
    SymbolId symbol = 0;
    for (auto _ : state) {
        fired.clear();
        fired_total += index.tick(symbol, crossed, fired);
        for (const auto& f : fired) {
            index.add(f.key, symbol, Crossing::kRising, crossed);
        }
        symbol = (symbol + 1) % kSymbols;
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["fired_per_tick"] =
        static_cast<double>(fired_total) / static_cast<double>(state.iterations());
}
BENCHMARK(TickFiringTen)->Arg(1'000'000);

}  // namespace

BENCHMARK_MAIN();
