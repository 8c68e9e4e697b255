// Cost of a price tick against the trigger index: 1,000,000 open positions with a stop-loss
// and a take-profit across 20 symbols. A tick that reaches nothing compares the nearest level
// on each side only, so its cost must not depend on how many positions there are.
//
//   build/bench/trigger_book_bench --benchmark_repetitions=3
//   --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <malloc.h>

#include <random>
#include <string>
#include <vector>

#include "engine/trigger_book.hpp"

namespace {

using botcore::domain::Decimal;
using botcore::engine::TriggerBook;

constexpr int kSymbols = 20;
const std::int64_t kMid = Decimal::from_integer(1000).units();

std::vector<std::string> symbols() {
    std::vector<std::string> out;
    for (int i = 0; i < kSymbols; ++i) {
        out.push_back("SYM" + std::to_string(i) + "USDT");
    }
    return out;
}

// Every position: stop-loss 2-10% below the mid price, take-profit 2-10% above.
void fill(TriggerBook& book, const std::vector<std::string>& names, std::int64_t positions) {
    std::mt19937_64 random(7);
    std::uniform_int_distribution<std::int64_t> offset(kMid / 50, kMid / 10);
    for (std::int64_t i = 0; i < positions; ++i) {
        book.set("user" + std::to_string(i), names[static_cast<std::size_t>(i % kSymbols)],
                 Decimal::from_units(kMid + offset(random)),
                 Decimal::from_units(kMid - offset(random)));
    }
}

void TickReachingNothing(benchmark::State& state) {
    const auto names = symbols();
    const auto before = mallinfo2().uordblks;
    TriggerBook book;
    fill(book, names, state.range(0));
    const auto bytes = mallinfo2().uordblks - before;
    std::mt19937_64 random(11);
    // Inside +-2%: the band no level is in.
    std::uniform_int_distribution<std::int64_t> move(-kMid / 50 + 1, kMid / 50 - 1);
    std::vector<std::pair<std::size_t, Decimal>> ticks;
    for (int i = 0; i < 4096; ++i) {
        ticks.emplace_back(static_cast<std::size_t>(i % kSymbols),
                           Decimal::from_units(kMid + move(random)));
    }
    std::size_t i = 0;
    for (auto _ : state) {
        const auto& [symbol, price] = ticks[i++ & 4095];
        auto fired = book.fired(names[symbol], price);
        benchmark::DoNotOptimize(fired);
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["bytes_per_position"] =
        static_cast<double>(bytes) / static_cast<double>(state.range(0));
}
BENCHMARK(TickReachingNothing)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kNanosecond);

// Ten positions are registered at a level the next tick crosses (as an evaluation registers a
// book again), then the tick takes them: the cost of triggering, on top of 1M that stay put.
void TickReachingTen(benchmark::State& state) {
    const auto names = symbols();
    TriggerBook book;
    fill(book, names, state.range(0));
    std::vector<std::string> hot;
    for (int j = 0; j < 10; ++j) {
        hot.push_back("hot" + std::to_string(j));
    }
    const auto level = Decimal::from_units(kMid + kMid / 100);  // +1%: no other level there
    std::size_t symbol = 0;
    std::size_t fired_total = 0;
    for (auto _ : state) {
        const auto& name = names[symbol++ % kSymbols];
        for (const auto& user : hot) {
            book.set(user, name, level, std::nullopt);
        }
        auto fired = book.fired(name, level);
        fired_total += fired.size();
        benchmark::DoNotOptimize(fired);
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["fired_per_tick"] =
        static_cast<double>(fired_total) / static_cast<double>(state.iterations());
}
BENCHMARK(TickReachingTen)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
