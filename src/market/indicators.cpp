#include "market/indicators.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

namespace botcore::market {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> nans(std::size_t n) {
    return std::vector<double>(n, kNaN);
}

// True when values[start, start + period) exists; callers have already rejected period < 1.
bool fits(std::size_t n, std::size_t start, int period) {
    return start <= n && n - start >= static_cast<std::size_t>(period);
}

double mean(std::span<const double> values, std::size_t first, std::size_t count) {
    double sum = 0.0;
    for (std::size_t i = first; i < first + count; ++i) {
        sum += values[i];
    }
    return sum / static_cast<double>(count);
}

// The smoothers below ignore values before `start`, so a derived series with a NaN prefix (MACD
// line, %K, DX) can be smoothed again without the NaNs leaking in.

std::vector<double> sma_from(std::span<const double> values, std::size_t start, int period) {
    auto out = nans(values.size());
    if (!fits(values.size(), start, period)) {
        return out;
    }
    const auto p = static_cast<std::size_t>(period);
    // The window mean is recomputed rather than rolled so long series do not accumulate drift.
    for (std::size_t i = start + p - 1; i < values.size(); ++i) {
        out[i] = mean(values, i + 1 - p, p);
    }
    return out;
}

// EMA and Wilder's smoothing differ only in the weight of the newest value: both seed with the
// mean of the first `period` values, then move `weight` of the way towards each new value.
std::vector<double> smooth_from(std::span<const double> values, std::size_t start, int period,
                                double weight) {
    auto out = nans(values.size());
    if (!fits(values.size(), start, period)) {
        return out;
    }
    const auto p = static_cast<std::size_t>(period);
    double value = mean(values, start, p);
    out[start + p - 1] = value;
    for (std::size_t i = start + p; i < values.size(); ++i) {
        value += weight * (values[i] - value);
        out[i] = value;
    }
    return out;
}

std::vector<double> ema_from(std::span<const double> values, std::size_t start, int period) {
    return smooth_from(values, start, period, 2.0 / (period + 1.0));
}

// (prev * (n-1) + x) / n
std::vector<double> wilder_from(std::span<const double> values, std::size_t start, int period) {
    return smooth_from(values, start, period, 1.0 / period);
}

bool same_size(std::span<const double> a, std::span<const double> b, std::span<const double> c) {
    return a.size() == b.size() && b.size() == c.size();
}

std::vector<double> true_range(std::span<const double> high, std::span<const double> low,
                               std::span<const double> close) {
    std::vector<double> tr(close.size());
    for (std::size_t i = 0; i < close.size(); ++i) {
        tr[i] = high[i] - low[i];
        if (i > 0) {
            tr[i] = std::max(
                {tr[i], std::abs(high[i] - close[i - 1]), std::abs(low[i] - close[i - 1])});
        }
    }
    return tr;
}

}  // namespace

std::vector<double> sma(std::span<const double> close, int period) {
    if (period < 1) {
        return nans(close.size());
    }
    return sma_from(close, 0, period);
}

std::vector<double> ema(std::span<const double> close, int period) {
    if (period < 1) {
        return nans(close.size());
    }
    return ema_from(close, 0, period);
}

std::vector<double> rsi(std::span<const double> close, int period) {
    const std::size_t n = close.size();
    if (period < 1 || n < 2) {
        return nans(n);
    }
    // gains[0]/losses[0] are unused: the first change is at index 1.
    std::vector<double> gains(n, 0.0);
    std::vector<double> losses(n, 0.0);
    for (std::size_t i = 1; i < n; ++i) {
        const double change = close[i] - close[i - 1];
        gains[i] = std::max(change, 0.0);
        losses[i] = std::max(-change, 0.0);
    }
    const auto avg_gain = wilder_from(gains, 1, period);
    const auto avg_loss = wilder_from(losses, 1, period);
    auto out = nans(n);
    for (std::size_t i = static_cast<std::size_t>(period); i < n; ++i) {
        if (avg_loss[i] == 0.0) {
            // Only gains: 100. No change at all is neither side: 50, not an overbought 100.
            out[i] = avg_gain[i] == 0.0 ? 50.0 : 100.0;
        } else {
            out[i] = 100.0 - 100.0 / (1.0 + avg_gain[i] / avg_loss[i]);
        }
    }
    return out;
}

Macd macd(std::span<const double> close, int fast, int slow, int signal) {
    const std::size_t n = close.size();
    if (fast < 1 || slow < 1 || signal < 1) {
        return {nans(n), nans(n), nans(n)};
    }
    const auto fast_ema = ema_from(close, 0, fast);
    const auto slow_ema = ema_from(close, 0, slow);
    Macd out{nans(n), nans(n), nans(n)};
    for (std::size_t i = 0; i < n; ++i) {
        out.macd[i] = fast_ema[i] - slow_ema[i];  // NaN until both exist
    }
    const auto first = static_cast<std::size_t>(std::max(fast, slow) - 1);
    out.signal = ema_from(out.macd, first, signal);
    for (std::size_t i = 0; i < n; ++i) {
        out.histogram[i] = out.macd[i] - out.signal[i];
    }
    return out;
}

Bollinger bollinger(std::span<const double> close, int period, double num_std) {
    const std::size_t n = close.size();
    if (period < 1) {
        return {nans(n), nans(n), nans(n)};
    }
    Bollinger out{sma_from(close, 0, period), nans(n), nans(n)};
    const auto p = static_cast<std::size_t>(period);
    for (std::size_t i = p - 1; i < n; ++i) {
        const double middle = out.middle[i];
        double squares = 0.0;
        for (std::size_t j = i + 1 - p; j <= i; ++j) {
            squares += (close[j] - middle) * (close[j] - middle);
        }
        const double deviation = std::sqrt(squares / period);
        out.upper[i] = middle + num_std * deviation;
        out.lower[i] = middle - num_std * deviation;
    }
    return out;
}

Stochastic stochastic(std::span<const double> high, std::span<const double> low,
                      std::span<const double> close, int k_period, int d_period) {
    const std::size_t n = close.size();
    if (k_period < 1 || d_period < 1 || !same_size(high, low, close)) {
        return {nans(n), nans(n)};
    }
    const auto p = static_cast<std::size_t>(k_period);
    auto k = nans(n);
    for (std::size_t i = p - 1; i < n; ++i) {
        const auto first = i + 1 - p;
        const double highest = *std::max_element(high.begin() + first, high.begin() + i + 1);
        const double lowest = *std::min_element(low.begin() + first, low.begin() + i + 1);
        const double range = highest - lowest;
        k[i] = range == 0.0 ? 50.0 : 100.0 * (close[i] - lowest) / range;
    }
    auto d = sma_from(k, p - 1, d_period);
    return {std::move(k), std::move(d)};
}

std::vector<double> atr(std::span<const double> high, std::span<const double> low,
                        std::span<const double> close, int period) {
    if (period < 1 || !same_size(high, low, close)) {
        return nans(close.size());
    }
    return wilder_from(true_range(high, low, close), 0, period);
}

Adx adx(std::span<const double> high, std::span<const double> low, std::span<const double> close,
        int period) {
    const std::size_t n = close.size();
    if (period < 1 || !same_size(high, low, close)) {
        return {nans(n), nans(n), nans(n)};
    }
    std::vector<double> plus_dm(n, 0.0);
    std::vector<double> minus_dm(n, 0.0);
    for (std::size_t i = 1; i < n; ++i) {
        const double up = high[i] - high[i - 1];
        const double down = low[i - 1] - low[i];
        plus_dm[i] = up > down && up > 0.0 ? up : 0.0;
        minus_dm[i] = down > up && down > 0.0 ? down : 0.0;
    }
    // Wilder smooths running sums; averages differ from them by the constant factor `period`,
    // which cancels in the DI ratios.
    const auto tr = wilder_from(true_range(high, low, close), 1, period);
    const auto plus = wilder_from(plus_dm, 1, period);
    const auto minus = wilder_from(minus_dm, 1, period);
    Adx out{nans(n), nans(n), nans(n)};
    std::vector<double> dx = nans(n);
    for (std::size_t i = static_cast<std::size_t>(period); i < n; ++i) {
        out.plus_di[i] = tr[i] == 0.0 ? 0.0 : 100.0 * plus[i] / tr[i];
        out.minus_di[i] = tr[i] == 0.0 ? 0.0 : 100.0 * minus[i] / tr[i];
        const double sum = out.plus_di[i] + out.minus_di[i];
        dx[i] = sum == 0.0 ? 0.0 : 100.0 * std::abs(out.plus_di[i] - out.minus_di[i]) / sum;
    }
    out.adx = wilder_from(dx, static_cast<std::size_t>(period), period);
    return out;
}

std::vector<double> volume_ratio(std::span<const double> volume, int period) {
    if (period < 1) {
        return nans(volume.size());
    }
    auto out = sma_from(volume, 0, period);
    for (std::size_t i = 0; i < volume.size(); ++i) {
        out[i] = out[i] == 0.0 ? kNaN : volume[i] / out[i];
    }
    return out;
}

}  // namespace botcore::market
