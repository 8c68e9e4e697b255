#include "market/price_book.hpp"

#include <mutex>

namespace botcore::market {

void PriceBook::set(std::string_view symbol, PriceTick tick) {
    std::unique_lock lock(mutex_);
    const auto it = ticks_.find(symbol);
    if (it == ticks_.end()) {
        ticks_.emplace(std::string(symbol), tick);
    } else {
        it->second = tick;
    }
}

std::optional<PriceTick> PriceBook::get(std::string_view symbol) const {
    std::shared_lock lock(mutex_);
    const auto it = ticks_.find(symbol);
    return it == ticks_.end() ? std::nullopt : std::optional<PriceTick>(it->second);
}

std::map<std::string, PriceTick, std::less<>> PriceBook::all() const {
    std::shared_lock lock(mutex_);
    return ticks_;
}

domain::MarkPrices PriceBook::marks() const {
    std::shared_lock lock(mutex_);
    domain::MarkPrices out;
    for (const auto& [symbol, tick] : ticks_) {
        out.emplace(symbol, tick.price);
    }
    return out;
}

std::vector<std::string> stale_symbols(const PriceBook& book,
                                       std::span<const domain::SymbolSpec> listed,
                                       std::int64_t now_ms, std::int64_t max_age_ms) {
    std::vector<std::string> out;
    for (const auto& spec : listed) {
        const auto tick = book.get(spec.name);
        if (!tick || now_ms - tick->ts_ms > max_age_ms) {
            out.push_back(spec.name);
        }
    }
    return out;
}

}  // namespace botcore::market
