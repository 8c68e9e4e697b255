// Technical indicators: pure functions returning full series aligned bar-for-bar with the input.
#pragma once

#include <span>
#include <vector>

namespace botcore::market {

// Conventions shared by every indicator:
// - the result has one value per input bar; bars before the indicator has enough data are NaN;
// - invalid arguments (a period < 1, or high/low/close/volume spans of different sizes) give an
//   all-NaN result as long as `close` (or `volume`) rather than an error, so a caller can always
//   index it by bar.

// Simple moving average; first value at index period - 1.
std::vector<double> sma(std::span<const double> close, int period);

// Exponential moving average, alpha = 2 / (period + 1), seeded with the SMA of the first
// `period` values; first value at index period - 1.
std::vector<double> ema(std::span<const double> close, int period);

// Relative strength index with Wilder's smoothing; first value at index period. 100 when the
// average loss is 0 and the average gain is not; 50 when both are 0 (a flat series).
std::vector<double> rsi(std::span<const double> close, int period = 14);

struct Macd {
    std::vector<double> macd;       // EMA(fast) - EMA(slow), from index max(fast, slow) - 1
    std::vector<double> signal;     // EMA(signal) of macd, seeded once macd exists
    std::vector<double> histogram;  // macd - signal
};
Macd macd(std::span<const double> close, int fast = 12, int slow = 26, int signal = 9);

struct Bollinger {
    std::vector<double> middle;  // SMA(period)
    std::vector<double> upper;   // middle + num_std * population standard deviation
    std::vector<double> lower;   // middle - num_std * population standard deviation
};
Bollinger bollinger(std::span<const double> close, int period = 20, double num_std = 2.0);

struct Stochastic {
    std::vector<double> k;  // 100 * (close - lowest low) / (highest high - lowest low); 50 if flat
    std::vector<double> d;  // SMA(d_period) of k
};
Stochastic stochastic(std::span<const double> high, std::span<const double> low,
                      std::span<const double> close, int k_period = 14, int d_period = 3);

// Average true range with Wilder's smoothing; the first bar's true range is high - low, and the
// first ATR (index period - 1) is the mean of the first `period` true ranges.
std::vector<double> atr(std::span<const double> high, std::span<const double> low,
                        std::span<const double> close, int period = 14);

struct Adx {
    std::vector<double> adx;       // Wilder average of DX, from index 2 * period - 1
    std::vector<double> plus_di;   // from index period
    std::vector<double> minus_di;  // from index period
};
// Wilder's directional movement system. DI values are 0 when the smoothed true range is 0, and DX
// is 0 when both DIs are 0.
Adx adx(std::span<const double> high, std::span<const double> low, std::span<const double> close,
        int period = 14);

// Volume relative to its SMA(period); NaN where that average is 0.
std::vector<double> volume_ratio(std::span<const double> volume, int period = 20);

}  // namespace botcore::market
