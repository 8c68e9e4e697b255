// One candle close with N users' bots enabled on the same (symbol, timeframe): the strategy votes
// are computed once, then every bot reads its holdings and decides. Quiet: the votes are neutral
// and nobody trades (the usual case). Firing: the votes are bullish, every bot places a market
// order (timed until the orders are submitted; the commits follow in groups). Holding: a signal
// while every bot already holds its position.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <future>
#include <string>

#include "adapters/sqlite/sqlite_store.hpp"
#include "analysis/bot_settings.hpp"
#include "engine/bot_service.hpp"
#include "engine/trading_service.hpp"
#include "market/candles.hpp"
#include "market/price_book.hpp"
#include "ports/clock.hpp"

namespace {

using namespace botcore;

struct Fixture {
    explicit Fixture(int users)
        : dir(std::filesystem::temp_directory_path() /
              ("botcore-bot-bench-" + std::to_string(::getpid()))),
          store((std::filesystem::create_directories(dir), dir.string()), 4),
          trading(store, prices, clock, {}),
          bots(trading) {
        store.migrate(clock.now_ms());
        auto settings = analysis::defaults();
        settings.enabled = true;
        settings.combination_mode = analysis::CombinationMode::kWeighted;
        for (int i = 0; i < users; ++i) {
            const auto id = "bench-user-" + std::to_string(i);
            ports::NewUser user{{id, id + "@bench.local", id, clock.now_ms()},
                                "hash",
                                domain::Decimal::from_integer(10000)};
            store.create_user(user, {id, "", "register", "", clock.now_ms()});
            bots.set(id, settings, 1);
            trading.holdings(id, {});  // loads the book, as a running instance would have
        }
        std::promise<void> priced;
        trading.on_price("BTCUSDT", domain::Decimal::from_integer(60000), clock.now_ms(),
                         [&priced] { priced.set_value(); });
        priced.get_future().get();
    }
    // The 15m candle closing now.
    std::int64_t candle_open_ms() const {
        const auto now = clock.now_ms();
        return now - now % market::interval_ms(market::Interval::k15m);
    }
    ~Fixture() {
        store.flush();
        std::filesystem::remove_all(dir);
    }

    std::filesystem::path dir;
    ports::SystemClock clock;
    adapters::sqlite::SqliteStore store;
    market::PriceBook prices;
    engine::TradingService trading;
    engine::BotService bots;
};

analysis::StrategyVotes votes(analysis::Direction direction) {
    analysis::StrategyVotes out;
    for (const auto strategy : analysis::kStrategies) {
        out[strategy].direction = direction;
        out[strategy].confidence = direction == analysis::Direction::kNeutral ? 0.0 : 0.8;
    }
    return out;
}

void BM_CandleCloseQuiet(benchmark::State& state) {
    Fixture f(static_cast<int>(state.range(0)));
    const auto neutral = votes(analysis::Direction::kNeutral);
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            f.bots.on_votes("BTCUSDT", market::Interval::k15m, f.candle_open_ms(), neutral,
                            domain::Decimal::from_integer(60000), f.clock.now_ms()));
    }
    state.counters["bots"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_CandleCloseQuiet)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_CandleCloseEveryBotOrders(benchmark::State& state) {
    Fixture f(static_cast<int>(state.range(0)));
    const auto bullish = votes(analysis::Direction::kBullish);
    for (auto _ : state) {
        f.bots.on_votes("BTCUSDT", market::Interval::k15m, f.candle_open_ms(), bullish,
                        domain::Decimal::from_integer(60000), f.clock.now_ms());
        state.PauseTiming();
        f.store.flush();  // the next close starts from committed positions
        state.ResumeTiming();
    }
    state.counters["orders"] = static_cast<double>(f.bots.stats().orders.load());
}
BENCHMARK(BM_CandleCloseEveryBotOrders)->Arg(10000)->Unit(benchmark::kMillisecond)->Iterations(1);

// A signal, but every bot already holds its position: each reads its holdings and stops there.
void BM_CandleCloseSignalWhileHolding(benchmark::State& state) {
    Fixture f(static_cast<int>(state.range(0)));
    const auto bullish = votes(analysis::Direction::kBullish);
    f.bots.on_votes("BTCUSDT", market::Interval::k15m, f.candle_open_ms(), bullish,
                    domain::Decimal::from_integer(60000), f.clock.now_ms());
    f.store.flush();
    for (auto _ : state) {
        f.bots.on_votes("BTCUSDT", market::Interval::k15m, f.candle_open_ms(), bullish,
                        domain::Decimal::from_integer(60000), f.clock.now_ms());
    }
    state.counters["orders"] = static_cast<double>(f.bots.stats().orders.load());
}
BENCHMARK(BM_CandleCloseSignalWhileHolding)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5);

}  // namespace

BENCHMARK_MAIN();
