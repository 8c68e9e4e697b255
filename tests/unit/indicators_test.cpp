#include "market/indicators.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace botcore::market {
namespace {

constexpr double kTol = 1e-9;

std::size_t leading_nans(const std::vector<double>& v) {
    return static_cast<std::size_t>(
        std::find_if(v.begin(), v.end(), [](double x) { return !std::isnan(x); }) - v.begin());
}

bool all_nan(const std::vector<double>& v) {
    return std::all_of(v.begin(), v.end(), [](double x) { return std::isnan(x); });
}

std::vector<double> one_to(int n) {
    std::vector<double> v;
    for (int i = 1; i <= n; ++i) {
        v.push_back(i);
    }
    return v;
}

// StockCharts' RSI worked example (Wilder, 14 periods).
const std::vector<double> kRsiSeries = {44.34, 44.09, 44.15, 43.61, 44.33, 44.83, 45.10,
                                        45.42, 45.84, 46.08, 45.89, 46.03, 45.61, 46.28,
                                        46.28, 46.00, 46.03, 46.41, 46.22, 45.64};

// --- SMA -------------------------------------------------------------------------------------

TEST(Sma, OfOneToTenWithPeriodThreeIsTheMiddleOfEachWindow) {
    const auto out = sma(one_to(10), 3);
    ASSERT_EQ(out.size(), 10u);
    EXPECT_EQ(leading_nans(out), 2u);
    // (1+2+3)/3 = 2, (2+3+4)/3 = 3, ... (8+9+10)/3 = 9
    for (std::size_t i = 2; i < 10; ++i) {
        EXPECT_NEAR(out[i], static_cast<double>(i), kTol) << i;
    }
}

TEST(Sma, PeriodOneReturnsTheInput) {
    const std::vector<double> close = {3.5, -1.0, 7.25};
    const auto out = sma(close, 1);
    for (std::size_t i = 0; i < close.size(); ++i) {
        EXPECT_NEAR(out[i], close[i], kTol);
    }
}

TEST(Sma, SeriesShorterThanThePeriodIsAllNaN) {
    const auto out = sma(one_to(4), 5);
    EXPECT_EQ(out.size(), 4u);
    EXPECT_TRUE(all_nan(out));
}

// --- EMA -------------------------------------------------------------------------------------

TEST(Ema, PeriodThreeSeedsWithTheSmaThenMovesHalfwayToEachPrice) {
    const std::vector<double> close = {2, 4, 6, 8, 12, 14};
    const auto out = ema(close, 3);
    EXPECT_EQ(leading_nans(out), 2u);
    // alpha = 2 / (3 + 1) = 0.5
    EXPECT_NEAR(out[2], 4.0, kTol);   // seed: (2 + 4 + 6) / 3
    EXPECT_NEAR(out[3], 6.0, kTol);   // 0.5 * 8 + 0.5 * 4
    EXPECT_NEAR(out[4], 9.0, kTol);   // 0.5 * 12 + 0.5 * 6
    EXPECT_NEAR(out[5], 11.5, kTol);  // 0.5 * 14 + 0.5 * 9
}

TEST(Ema, OfAConstantSeriesIsTheConstant) {
    const std::vector<double> close(30, 42.0);
    const auto out = ema(close, 10);
    EXPECT_EQ(leading_nans(out), 9u);
    for (std::size_t i = 9; i < close.size(); ++i) {
        EXPECT_NEAR(out[i], 42.0, kTol);
    }
}

// --- RSI -------------------------------------------------------------------------------------

TEST(Rsi, PeriodTwoByHand) {
    // changes: +1, -1, +2
    const auto out = rsi(std::vector<double>{1, 2, 1, 3}, 2);
    EXPECT_EQ(leading_nans(out), 2u);
    // gain (1 + 0) / 2 = 0.5, loss (0 + 1) / 2 = 0.5 -> RS 1 -> 50
    EXPECT_NEAR(out[2], 50.0, kTol);
    // gain (0.5 + 2) / 2 = 1.25, loss (0.5 + 0) / 2 = 0.25 -> RS 5 -> 100 - 100 / 6
    EXPECT_NEAR(out[3], 100.0 - 100.0 / 6.0, kTol);
}

TEST(Rsi, MatchesAStraightforwardWilderLoopOnTwentyPoints) {
    const int n = 14;
    std::vector<double> expected(kRsiSeries.size(), NAN);
    double gain = 0.0;
    double loss = 0.0;
    for (int i = 1; i <= n; ++i) {
        const double d = kRsiSeries[i] - kRsiSeries[i - 1];
        if (d > 0) {
            gain += d;
        } else {
            loss -= d;
        }
    }
    gain /= n;
    loss /= n;
    expected[n] = 100.0 - 100.0 / (1.0 + gain / loss);
    for (std::size_t i = n + 1; i < kRsiSeries.size(); ++i) {
        const double d = kRsiSeries[i] - kRsiSeries[i - 1];
        gain = (gain * (n - 1) + (d > 0 ? d : 0.0)) / n;
        loss = (loss * (n - 1) + (d < 0 ? -d : 0.0)) / n;
        expected[i] = 100.0 - 100.0 / (1.0 + gain / loss);
    }

    const auto out = rsi(kRsiSeries, 14);
    ASSERT_EQ(out.size(), kRsiSeries.size());
    EXPECT_EQ(leading_nans(out), 14u);
    for (std::size_t i = n; i < out.size(); ++i) {
        EXPECT_NEAR(out[i], expected[i], kTol) << i;
    }
}

TEST(Rsi, AgreesWithTheStockChartsTextbookExample) {
    // The published table rounds averages to two decimals (0.24 / 0.10 for the first RSI), which
    // moves RSI by up to ~0.07; the exact values are checked by the Wilder-loop test above.
    const auto out = rsi(kRsiSeries);
    const double published[] = {70.53, 66.32, 66.55, 69.41, 66.36, 57.97};
    for (std::size_t i = 0; i < 6; ++i) {
        EXPECT_NEAR(out[14 + i], published[i], 0.1) << 14 + i;
    }
}

TEST(Rsi, IsOneHundredWhenPricesOnlyRise) {
    const auto out = rsi(one_to(20));
    for (std::size_t i = 14; i < out.size(); ++i) {
        EXPECT_NEAR(out[i], 100.0, kTol);
    }
}

TEST(Rsi, IsFiftyForAFlatSeriesWhereNothingWasGainedOrLost) {
    const auto out = rsi(std::vector<double>(16, 5.0));
    EXPECT_EQ(leading_nans(out), 14u);
    EXPECT_NEAR(out[14], 50.0, kTol);
    EXPECT_NEAR(out[15], 50.0, kTol);
}

TEST(Rsi, IsZeroWhenPricesOnlyFall) {
    auto close = one_to(20);
    std::reverse(close.begin(), close.end());
    const auto out = rsi(close);
    EXPECT_NEAR(out[19], 0.0, kTol);
}

// --- MACD ------------------------------------------------------------------------------------

TEST(Macd, SmallPeriodsByHand) {
    // fast 1 (EMA = price), slow 2 (alpha 2/3), signal 2
    const std::vector<double> close = {1, 3, 6, 10};
    const auto out = macd(close, 1, 2, 2);
    // slow EMA: [1] = 2, [2] = 2/3*6 + 1/3*2 = 14/3, [3] = 2/3*10 + 1/3*14/3 = 74/9
    EXPECT_TRUE(std::isnan(out.macd[0]));
    EXPECT_NEAR(out.macd[1], 1.0, kTol);
    EXPECT_NEAR(out.macd[2], 6.0 - 14.0 / 3.0, kTol);
    EXPECT_NEAR(out.macd[3], 10.0 - 74.0 / 9.0, kTol);
    // signal: seed (1 + 4/3) / 2 = 7/6, then 2/3 * 16/9 + 1/3 * 7/6 = 85/54
    EXPECT_TRUE(std::isnan(out.signal[1]));
    EXPECT_NEAR(out.signal[2], 7.0 / 6.0, kTol);
    EXPECT_NEAR(out.signal[3], 85.0 / 54.0, kTol);
    EXPECT_NEAR(out.histogram[3], 16.0 / 9.0 - 85.0 / 54.0, kTol);
}

TEST(Macd, DefaultLineStartsAtBar26AndSignalAtBar34) {
    const auto out = macd(one_to(60));
    EXPECT_EQ(leading_nans(out.macd), 25u);
    EXPECT_EQ(leading_nans(out.signal), 33u);
    EXPECT_EQ(leading_nans(out.histogram), 33u);
}

TEST(Macd, IsZeroForAConstantSeries) {
    const auto out = macd(std::vector<double>(40, 7.0));
    for (std::size_t i = 33; i < 40; ++i) {
        EXPECT_NEAR(out.macd[i], 0.0, kTol);
        EXPECT_NEAR(out.signal[i], 0.0, kTol);
        EXPECT_NEAR(out.histogram[i], 0.0, kTol);
    }
}

// --- Bollinger -------------------------------------------------------------------------------

TEST(Bollinger, BandsCollapseOntoAConstantSeries) {
    const auto out = bollinger(std::vector<double>(25, 100.0));
    EXPECT_EQ(leading_nans(out.middle), 19u);
    for (std::size_t i = 19; i < 25; ++i) {
        EXPECT_NEAR(out.middle[i], 100.0, kTol);
        EXPECT_NEAR(out.upper[i], 100.0, kTol);
        EXPECT_NEAR(out.lower[i], 100.0, kTol);
    }
}

TEST(Bollinger, UsesThePopulationStandardDeviation) {
    // mean 5; squared deviations 9+1+1+1+0+0+4+16 = 32; 32 / 8 = 4 -> sd 2 (sample sd would be
    // sqrt(32/7))
    const auto out = bollinger(std::vector<double>{2, 4, 4, 4, 5, 5, 7, 9}, 8, 2.0);
    EXPECT_NEAR(out.middle[7], 5.0, kTol);
    EXPECT_NEAR(out.upper[7], 9.0, kTol);
    EXPECT_NEAR(out.lower[7], 1.0, kTol);
}

// --- Stochastic ------------------------------------------------------------------------------

TEST(Stochastic, IsOneHundredWhenClosingAtTheHighestHigh) {
    std::vector<double> high, low;
    for (int i = 0; i < 20; ++i) {
        high.push_back(i + 1.0);
        low.push_back(i);
    }
    const auto out = stochastic(high, low, high);
    EXPECT_EQ(leading_nans(out.k), 13u);
    EXPECT_EQ(leading_nans(out.d), 15u);
    EXPECT_NEAR(out.k[19], 100.0, kTol);
    EXPECT_NEAR(out.d[19], 100.0, kTol);
}

TEST(Stochastic, IsZeroWhenClosingAtTheLowestLow) {
    std::vector<double> high, low;
    for (int i = 20; i > 0; --i) {
        high.push_back(i + 1.0);
        low.push_back(i);
    }
    const auto out = stochastic(high, low, low);
    EXPECT_NEAR(out.k[19], 0.0, kTol);
    EXPECT_NEAR(out.d[19], 0.0, kTol);
}

TEST(Stochastic, IsFiftyWhenTheRangeIsZero) {
    const std::vector<double> flat(15, 3.0);
    const auto out = stochastic(flat, flat, flat);
    EXPECT_NEAR(out.k[14], 50.0, kTol);
}

TEST(Stochastic, DIsTheMeanOfTheLastKValues) {
    const std::vector<double> high(5, 10.0);
    const std::vector<double> low(5, 0.0);
    const auto out = stochastic(high, low, std::vector<double>{1, 2, 3, 4, 8}, 3, 3);
    EXPECT_NEAR(out.k[2], 30.0, kTol);
    EXPECT_NEAR(out.k[3], 40.0, kTol);
    EXPECT_NEAR(out.k[4], 80.0, kTol);
    EXPECT_TRUE(std::isnan(out.d[3]));
    EXPECT_NEAR(out.d[4], (30.0 + 40.0 + 80.0) / 3.0, kTol);
}

// --- ATR -------------------------------------------------------------------------------------

TEST(Atr, EqualsTheRangeOfBarsWithAConstantRange) {
    const std::vector<double> high(20, 11.0), low(20, 9.0), close(20, 10.0);
    const auto out = atr(high, low, close);
    EXPECT_EQ(leading_nans(out), 13u);
    for (std::size_t i = 13; i < 20; ++i) {
        EXPECT_NEAR(out[i], 2.0, kTol);
    }
}

TEST(Atr, TrueRangeIncludesGapsFromThePreviousClose) {
    // TR0 = 10 - 8 = 2 (first bar: high - low)
    // TR1 = max(12 - 11, |12 - 9|, |11 - 9|) = 3
    // TR2 = max(13 - 12, |13 - 11.5|, |12 - 11.5|) = 1.5
    const std::vector<double> high = {10, 12, 13}, low = {8, 11, 12}, close = {9, 11.5, 12.5};
    const auto out = atr(high, low, close, 2);
    EXPECT_TRUE(std::isnan(out[0]));
    EXPECT_NEAR(out[1], 2.5, kTol);                  // (2 + 3) / 2
    EXPECT_NEAR(out[2], (2.5 * 1 + 1.5) / 2, kTol);  // Wilder: (prev * (n-1) + TR) / n
}

// --- ADX -------------------------------------------------------------------------------------

TEST(Adx, SteadyUptrendHasAdxOneHundredAndNoMinusDi) {
    // high = i + 2, low = i, close = i + 1: +DM 1, -DM 0, TR 2 every bar after the first
    std::vector<double> high, low, close;
    for (int i = 0; i < 40; ++i) {
        high.push_back(i + 2.0);
        low.push_back(i);
        close.push_back(i + 1.0);
    }
    const auto out = adx(high, low, close);
    EXPECT_EQ(leading_nans(out.plus_di), 14u);
    EXPECT_EQ(leading_nans(out.minus_di), 14u);
    EXPECT_EQ(leading_nans(out.adx), 27u);
    EXPECT_NEAR(out.plus_di[39], 50.0, kTol);
    EXPECT_NEAR(out.minus_di[39], 0.0, kTol);
    EXPECT_NEAR(out.adx[39], 100.0, kTol);
}

TEST(Adx, MatchesWildersRunningSumFormulation) {
    const std::vector<double> high = {30.20, 30.28, 30.45, 29.35, 29.35, 29.29, 28.83, 28.73,
                                      28.67, 28.85, 28.64, 27.68, 27.21, 26.87, 27.41, 26.94,
                                      26.52, 26.52, 27.09, 27.69, 28.45, 28.53, 28.67, 29.01};
    const std::vector<double> low = {29.41, 29.32, 29.96, 28.74, 28.56, 28.41, 28.08, 27.43,
                                     27.66, 27.83, 27.40, 27.09, 26.18, 26.13, 26.63, 26.13,
                                     25.43, 25.35, 25.88, 26.96, 27.14, 28.01, 27.88, 27.99};
    const std::vector<double> close = {29.87, 30.24, 30.10, 28.90, 28.92, 28.48, 28.56, 27.56,
                                       28.47, 28.28, 27.49, 27.23, 26.35, 26.33, 27.03, 26.22,
                                       26.01, 25.46, 27.03, 27.45, 28.36, 28.43, 27.95, 29.01};
    const int n = 5;
    const std::size_t size = close.size();
    // Textbook form: running sums TR14, +DM14, -DM14 (sum - sum / n + x), not averages.
    double tr_sum = 0, plus_sum = 0, minus_sum = 0, adx_value = 0;
    std::vector<double> plus_di(size, NAN), minus_di(size, NAN), adx_expected(size, NAN);
    std::vector<double> dx(size, NAN);
    for (std::size_t i = 1; i < size; ++i) {
        const double tr = std::max({high[i] - low[i], std::fabs(high[i] - close[i - 1]),
                                    std::fabs(low[i] - close[i - 1])});
        const double up = high[i] - high[i - 1];
        const double down = low[i - 1] - low[i];
        const double pdm = (up > down && up > 0) ? up : 0;
        const double mdm = (down > up && down > 0) ? down : 0;
        if (i <= static_cast<std::size_t>(n)) {
            tr_sum += tr;
            plus_sum += pdm;
            minus_sum += mdm;
        } else {
            tr_sum = tr_sum - tr_sum / n + tr;
            plus_sum = plus_sum - plus_sum / n + pdm;
            minus_sum = minus_sum - minus_sum / n + mdm;
        }
        if (i >= static_cast<std::size_t>(n)) {
            plus_di[i] = 100 * plus_sum / tr_sum;
            minus_di[i] = 100 * minus_sum / tr_sum;
            dx[i] = 100 * std::fabs(plus_di[i] - minus_di[i]) / (plus_di[i] + minus_di[i]);
        }
        if (i == static_cast<std::size_t>(2 * n - 1)) {
            for (int j = n; j < 2 * n; ++j) {
                adx_value += dx[j];
            }
            adx_value /= n;
            adx_expected[i] = adx_value;
        } else if (i >= static_cast<std::size_t>(2 * n)) {
            adx_value = (adx_value * (n - 1) + dx[i]) / n;
            adx_expected[i] = adx_value;
        }
    }

    const auto out = adx(high, low, close, n);
    EXPECT_EQ(leading_nans(out.adx), static_cast<std::size_t>(2 * n - 1));
    for (std::size_t i = n; i < size; ++i) {
        EXPECT_NEAR(out.plus_di[i], plus_di[i], kTol) << i;
        EXPECT_NEAR(out.minus_di[i], minus_di[i], kTol) << i;
    }
    for (std::size_t i = 2 * n - 1; i < size; ++i) {
        EXPECT_NEAR(out.adx[i], adx_expected[i], kTol) << i;
    }
}

// --- Volume ratio ----------------------------------------------------------------------------

TEST(VolumeRatio, IsVolumeOverItsMovingAverage) {
    const auto out = volume_ratio(std::vector<double>{1, 1, 1, 3}, 2);
    EXPECT_TRUE(std::isnan(out[0]));
    EXPECT_NEAR(out[1], 1.0, kTol);
    EXPECT_NEAR(out[2], 1.0, kTol);
    EXPECT_NEAR(out[3], 1.5, kTol);  // 3 / ((1 + 3) / 2)
}

TEST(VolumeRatio, IsNaNWhenAverageVolumeIsZero) {
    const auto out = volume_ratio(std::vector<double>(25, 0.0));
    EXPECT_TRUE(all_nan(out));
}

// --- Alignment and bad arguments -------------------------------------------------------------

TEST(Indicators, EveryResultHasOneValuePerInputBar) {
    const auto close = one_to(50);
    const std::vector<double> high(50, 60.0), low(50, 0.0);
    EXPECT_EQ(sma(close, 5).size(), 50u);
    EXPECT_EQ(ema(close, 5).size(), 50u);
    EXPECT_EQ(rsi(close).size(), 50u);
    const auto m = macd(close);
    EXPECT_EQ(m.macd.size(), 50u);
    EXPECT_EQ(m.signal.size(), 50u);
    EXPECT_EQ(m.histogram.size(), 50u);
    const auto b = bollinger(close);
    EXPECT_EQ(b.upper.size(), 50u);
    EXPECT_EQ(b.lower.size(), 50u);
    const auto s = stochastic(high, low, close);
    EXPECT_EQ(s.k.size(), 50u);
    EXPECT_EQ(s.d.size(), 50u);
    EXPECT_EQ(atr(high, low, close).size(), 50u);
    const auto a = adx(high, low, close);
    EXPECT_EQ(a.adx.size(), 50u);
    EXPECT_EQ(a.plus_di.size(), 50u);
    EXPECT_EQ(volume_ratio(close).size(), 50u);
}

TEST(Indicators, PeriodBelowOneGivesAllNaNOfTheInputLength) {
    const auto close = one_to(30);
    for (int period : {0, -3}) {
        EXPECT_EQ(sma(close, period).size(), 30u);
        EXPECT_TRUE(all_nan(sma(close, period)));
        EXPECT_TRUE(all_nan(ema(close, period)));
        EXPECT_TRUE(all_nan(rsi(close, period)));
        EXPECT_TRUE(all_nan(macd(close, period, 26, 9).macd));
        EXPECT_TRUE(all_nan(macd(close, 12, 26, period).signal));
        EXPECT_TRUE(all_nan(bollinger(close, period).upper));
        EXPECT_TRUE(all_nan(stochastic(close, close, close, period).k));
        EXPECT_TRUE(all_nan(stochastic(close, close, close, 14, period).d));
        EXPECT_TRUE(all_nan(atr(close, close, close, period)));
        EXPECT_TRUE(all_nan(adx(close, close, close, period).adx));
        EXPECT_TRUE(all_nan(volume_ratio(close, period)));
    }
}

TEST(Indicators, MismatchedSpanSizesGiveAllNaNOfTheCloseLength) {
    const auto close = one_to(30);
    const auto shorter = one_to(29);
    const auto s = stochastic(shorter, close, close);
    EXPECT_EQ(s.k.size(), 30u);
    EXPECT_TRUE(all_nan(s.k));
    EXPECT_TRUE(all_nan(s.d));
    const auto a = atr(close, shorter, close);
    EXPECT_EQ(a.size(), 30u);
    EXPECT_TRUE(all_nan(a));
    const auto d = adx(close, shorter, close);
    EXPECT_EQ(d.adx.size(), 30u);
    EXPECT_TRUE(all_nan(d.adx));
    EXPECT_TRUE(all_nan(d.plus_di));
}

TEST(Indicators, EmptyInputGivesEmptyResults) {
    const std::vector<double> none;
    EXPECT_TRUE(sma(none, 3).empty());
    EXPECT_TRUE(ema(none, 3).empty());
    EXPECT_TRUE(rsi(none).empty());
    EXPECT_TRUE(macd(none).macd.empty());
    EXPECT_TRUE(bollinger(none).middle.empty());
    EXPECT_TRUE(stochastic(none, none, none).k.empty());
    EXPECT_TRUE(atr(none, none, none).empty());
    EXPECT_TRUE(adx(none, none, none).adx.empty());
    EXPECT_TRUE(volume_ratio(none).empty());
}

TEST(Indicators, SeriesTooShortForTheFirstValueAreAllNaN) {
    const auto close = one_to(14);  // RSI(14) needs 15 prices, ATR(14) needs 14 bars
    EXPECT_TRUE(all_nan(rsi(close)));
    EXPECT_EQ(leading_nans(atr(close, close, close)), 13u);
    EXPECT_TRUE(all_nan(macd(close).macd));
    EXPECT_TRUE(all_nan(adx(close, close, close).plus_di));
}

}  // namespace
}  // namespace botcore::market
