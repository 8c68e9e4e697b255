// Shared by the analysis unit tests: decimals and candles from literals, readable output.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <vector>

#include "domain/decimal.hpp"
#include "market/candles.hpp"

namespace botcore::domain {

inline void PrintTo(const Decimal& value, std::ostream* out) {
    *out << value.to_string();
}

}  // namespace botcore::domain

namespace botcore::analysis {

// A decimal from a literal the test knows to be valid.
inline domain::Decimal d(const char* text) {
    return *domain::Decimal::parse(text);
}

inline domain::Decimal dec(double value) {
    return domain::Decimal::from_units(std::llround(value * 1e8));
}

// One closed 5-minute candle per close: it opens at the previous close (the first at its own
// close), its high and low are the larger and smaller of open and close.
inline std::vector<market::Candle> candles_from_closes(const std::vector<double>& closes,
                                                       double volume = 100.0) {
    std::vector<market::Candle> out;
    for (std::size_t i = 0; i < closes.size(); ++i) {
        const double open = i == 0 ? closes[0] : closes[i - 1];
        const double close = closes[i];
        out.push_back(market::Candle{static_cast<std::int64_t>(i) * 300'000, dec(open),
                                     dec(std::max(open, close)), dec(std::min(open, close)),
                                     dec(close), dec(volume), true});
    }
    return out;
}

// n closes from first, changing by step each candle.
inline std::vector<double> linear(int n, double first, double step) {
    std::vector<double> out;
    for (int i = 0; i < n; ++i) {
        out.push_back(first + step * i);
    }
    return out;
}

}  // namespace botcore::analysis
