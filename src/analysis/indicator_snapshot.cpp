#include "analysis/indicator_snapshot.hpp"

#include <cmath>
#include <vector>

#include "market/indicators.hpp"

namespace botcore::analysis {
namespace {

double to_double(domain::Decimal value) {
    return static_cast<double>(value.units()) / static_cast<double>(domain::Decimal::kOne);
}

struct Series {
    std::vector<double> open;
    std::vector<double> high;
    std::vector<double> low;
    std::vector<double> close;
    std::vector<double> volume;
};

Series to_series(std::span<const market::Candle> candles) {
    Series s;
    for (auto* v : {&s.open, &s.high, &s.low, &s.close, &s.volume}) {
        v->reserve(candles.size());
    }
    for (const auto& c : candles) {
        s.open.push_back(to_double(c.open));
        s.high.push_back(to_double(c.high));
        s.low.push_back(to_double(c.low));
        s.close.push_back(to_double(c.close));
        s.volume.push_back(to_double(c.volume));
    }
    return s;
}

// The value `back` bars before the last one, when it exists and is finite.
std::optional<double> last(const std::vector<double>& series, std::size_t back = 0) {
    if (series.size() <= back) {
        return std::nullopt;
    }
    const double value = series[series.size() - 1 - back];
    return std::isfinite(value) ? std::optional<double>(value) : std::nullopt;
}

}  // namespace

IndicatorSnapshot take_snapshot(std::span<const market::Candle> candles,
                                const IndicatorParams& params,
                                const IndicatorSelection& selection) {
    if (!candles.empty() && !candles.back().closed) {
        candles = candles.first(candles.size() - 1);
    }
    const Series s = to_series(candles);
    IndicatorSnapshot out;
    out.bars = candles.size();
    out.open = last(s.open);
    out.close = last(s.close);
    if (selection.rsi) {
        out.rsi = last(market::rsi(s.close, params.rsi_period));
    }
    if (selection.macd) {
        const auto m =
            market::macd(s.close, params.macd_fast, params.macd_slow, params.macd_signal);
        out.macd = last(m.macd);
        out.macd_signal = last(m.signal);
        out.macd_histogram = last(m.histogram);
        out.prev_macd_histogram = last(m.histogram, 1);
    }
    if (selection.bollinger) {
        const auto b =
            market::bollinger(s.close, params.bollinger_period, params.bollinger_num_std);
        out.bollinger_upper = last(b.upper);
        out.bollinger_middle = last(b.middle);
        out.bollinger_lower = last(b.lower);
    }
    if (selection.stochastic) {
        const auto st =
            market::stochastic(s.high, s.low, s.close, params.stochastic_k, params.stochastic_d);
        out.stochastic_k = last(st.k);
        out.stochastic_d = last(st.d);
        out.prev_stochastic_k = last(st.k, 1);
        out.prev_stochastic_d = last(st.d, 1);
    }
    if (selection.volume_ratio) {
        out.volume_ratio = last(market::volume_ratio(s.volume, params.volume_period));
    }
    if (selection.atr) {
        out.atr = last(market::atr(s.high, s.low, s.close, params.atr_period));
    }
    if (selection.adx) {
        out.adx = last(market::adx(s.high, s.low, s.close, params.adx_period).adx);
    }
    if (selection.ema) {
        out.ema_fast = last(market::ema(s.close, params.ema_fast));
        out.ema_slow = last(market::ema(s.close, params.ema_slow));
    }
    return out;
}

}  // namespace botcore::analysis
