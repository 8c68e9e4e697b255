// The latest value of every indicator the analysis reads, for one symbol's candles of one
// timeframe: computed once when a candle closes and shared by the signal and every bot.
#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include "market/candles.hpp"

namespace botcore::analysis {

struct IndicatorParams {
    int rsi_period = 14;
    int macd_fast = 12;
    int macd_slow = 26;
    int macd_signal = 9;
    int bollinger_period = 20;
    double bollinger_num_std = 2.0;
    int stochastic_k = 14;
    int stochastic_d = 3;
    int atr_period = 14;
    int adx_period = 14;
    int ema_fast = 20;
    int ema_slow = 50;
    int volume_period = 20;
};

// Which indicators take_snapshot computes: a single strategy needs only its own.
struct IndicatorSelection {
    bool rsi = true;
    bool macd = true;
    bool bollinger = true;
    bool stochastic = true;
    bool volume_ratio = true;
    bool atr = true;
    bool adx = true;
    bool ema = true;

    static constexpr IndicatorSelection none() {
        return {false, false, false, false, false, false, false, false};
    }
};

// Values at the last closed candle ("prev_": the candle before it). A value is empty when the
// candles are too few for it (or it was not selected); it is never NaN or infinite.
struct IndicatorSnapshot {
    std::size_t bars = 0;  // closed candles the values were computed from
    std::optional<double> open;
    std::optional<double> close;
    std::optional<double> rsi;
    std::optional<double> macd;
    std::optional<double> macd_signal;
    std::optional<double> macd_histogram;
    std::optional<double> prev_macd_histogram;
    std::optional<double> bollinger_upper;
    std::optional<double> bollinger_middle;
    std::optional<double> bollinger_lower;
    std::optional<double> stochastic_k;
    std::optional<double> stochastic_d;
    std::optional<double> prev_stochastic_k;
    std::optional<double> prev_stochastic_d;
    std::optional<double> atr;
    std::optional<double> adx;
    std::optional<double> ema_fast;
    std::optional<double> ema_slow;
    std::optional<double> volume_ratio;
};

// candles: oldest first. A last candle that is not closed (the one still being built) is left out,
// so the values do not flicker while it forms.
IndicatorSnapshot take_snapshot(std::span<const market::Candle> candles,
                                const IndicatorParams& params = {},
                                const IndicatorSelection& selection = {});

}  // namespace botcore::analysis
