#include "market/kline_path.hpp"

namespace botcore::market {

std::array<ports::Tick, 4> kline_path(const Kline& kline) {
    const bool rising = kline.close >= kline.open;
    const auto first = rising ? kline.low : kline.high;
    const auto second = rising ? kline.high : kline.low;
    const auto span = kline.close_ms - kline.open_ms + 1;
    const auto share = kline.volume.units() / 4;
    const auto quarter = domain::Decimal::from_units(share);
    const auto rest = domain::Decimal::from_units(kline.volume.units() - 3 * share);
    return {{
        {kline.symbol, kline.open, quarter, kline.open_ms},
        {kline.symbol, first, quarter, kline.open_ms + span / 3},
        {kline.symbol, second, quarter, kline.open_ms + 2 * span / 3},
        {kline.symbol, kline.close, rest, kline.close_ms},
    }};
}

}  // namespace botcore::market
