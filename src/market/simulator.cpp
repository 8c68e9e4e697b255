#include "market/simulator.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string_view>

namespace botcore::market {

namespace {
// Only the path's randomness is floating point; prices are rounded to the symbol's tick.
domain::Decimal round_to_tick(double price, domain::Decimal tick) {
    const auto tick_units = static_cast<double>(tick.units());
    const auto ticks = std::max(1.0, std::round(price * domain::Decimal::kOne / tick_units));
    return domain::Decimal::from_units(static_cast<std::int64_t>(ticks) * tick.units());
}
}  // namespace

domain::Decimal RandomWalk::start_price(const domain::SymbolSpec& spec) {
    static const std::map<std::string_view, double> kStart{
        {"BTCUSDT", 65000}, {"ETHUSDT", 3500}, {"BNBUSDT", 600},   {"SOLUSDT", 150},
        {"XRPUSDT", 0.6},   {"ADAUSDT", 0.45}, {"DOGEUSDT", 0.15}, {"TRXUSDT", 0.12},
        {"DOTUSDT", 7},     {"LINKUSDT", 15},  {"LTCUSDT", 85},    {"AVAXUSDT", 35},
        {"MATICUSDT", 0.7}, {"ATOMUSDT", 9},   {"UNIUSDT", 8},     {"ETCUSDT", 27},
        {"XLMUSDT", 0.11},  {"NEARUSDT", 6},   {"FILUSDT", 6},     {"APTUSDT", 9},
    };
    const auto it = kStart.find(spec.name);
    return round_to_tick(it == kStart.end() ? 100.0 : it->second, spec.tick_size);
}

double RandomWalk::step_volatility(double per_second, std::chrono::milliseconds step) {
    return per_second * std::sqrt(static_cast<double>(step.count()) / 1000.0);
}

RandomWalk::RandomWalk(std::uint64_t seed, const domain::SymbolCatalog& catalog, double volatility,
                       double step_turnover)
    : random_(seed), volatility_(volatility), step_turnover_(step_turnover) {
    for (const auto& spec : catalog.all()) {
        walkers_.push_back({spec.name, start_price(spec), spec.tick_size, {}});
    }
}

const std::vector<RandomWalk::Walker>& RandomWalk::step() {
    for (std::size_t i = 0; i < walkers_.size(); ++i) {
        step_one(i);
    }
    return walkers_;
}

const RandomWalk::Walker& RandomWalk::step_one(std::size_t index) {
    auto& walker = walkers_.at(index);
    const double price = static_cast<double>(walker.price.units()) / domain::Decimal::kOne;
    const double move = normal_(random_);
    walker.price = round_to_tick(price * std::exp(volatility_ * move), walker.tick_size);
    if (step_turnover_ > 0) {
        // Log-normal around the turnover (mean 1 before the move's share), and more on a bigger
        // move (a two-sigma step trades three times what a still one does): a quiet market
        // trades little, and its big moves come with volume.
        const double noise = std::exp(0.5 * normal_(random_) - 0.125);
        const double traded = step_turnover_ * noise * (1.0 + std::abs(move)) / 1.8 / price;
        walker.volume = domain::Decimal::from_units(
            static_cast<std::int64_t>(std::llround(traded * domain::Decimal::kOne)));
    }
    return walker;
}

void RandomWalk::move_to(std::string_view symbol, domain::Decimal price) {
    for (auto& walker : walkers_) {
        if (walker.symbol == symbol) {
            const auto tick = walker.tick_size.units();
            walker.price =
                domain::Decimal::from_units(std::max<std::int64_t>(1, price.units() / tick) * tick);
            return;
        }
    }
}

}  // namespace botcore::market
