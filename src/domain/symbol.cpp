#include "domain/symbol.hpp"

#include <algorithm>

#include "domain/text_list.hpp"

namespace botcore::domain {
namespace {

SymbolSpec spec(std::string name, const char* tick, const char* step, const char* min_notional,
                int max_leverage) {
    return SymbolSpec{std::move(name), *Decimal::parse(tick), *Decimal::parse(step),
                      *Decimal::parse(min_notional), max_leverage};
}

}  // namespace

SymbolCatalog::SymbolCatalog(std::vector<SymbolSpec> symbols) : symbols_(std::move(symbols)) {
    std::sort(symbols_.begin(), symbols_.end(),
              [](const SymbolSpec& a, const SymbolSpec& b) { return a.name < b.name; });
}

const SymbolCatalog& SymbolCatalog::default_catalog() {
    static const SymbolCatalog catalog({
        spec("BTCUSDT", "0.1", "0.001", "100", 125), spec("ETHUSDT", "0.01", "0.001", "20", 100),
        spec("BNBUSDT", "0.01", "0.01", "5", 75),    spec("SOLUSDT", "0.01", "0.01", "5", 50),
        spec("XRPUSDT", "0.0001", "0.1", "5", 75),   spec("ADAUSDT", "0.0001", "1", "5", 75),
        spec("DOGEUSDT", "0.00001", "1", "5", 75),   spec("TRXUSDT", "0.00001", "1", "5", 75),
        spec("DOTUSDT", "0.001", "0.1", "5", 50),    spec("LINKUSDT", "0.001", "0.01", "5", 50),
        spec("LTCUSDT", "0.01", "0.001", "20", 75),  spec("AVAXUSDT", "0.001", "1", "5", 50),
        spec("MATICUSDT", "0.0001", "1", "5", 50),   spec("ATOMUSDT", "0.001", "0.01", "5", 50),
        spec("UNIUSDT", "0.001", "1", "5", 50),      spec("ETCUSDT", "0.001", "0.01", "5", 75),
        spec("XLMUSDT", "0.00001", "1", "5", 50),    spec("NEARUSDT", "0.001", "1", "5", 50),
        spec("FILUSDT", "0.001", "0.1", "5", 50),    spec("APTUSDT", "0.001", "0.1", "5", 50),
    });
    return catalog;
}

std::expected<SymbolCatalog, std::string> SymbolCatalog::only(std::string_view names) const {
    const auto listed = split_list(names);
    if (listed.empty()) {
        return *this;
    }
    std::vector<SymbolSpec> chosen;
    for (const auto name : listed) {
        const auto* spec = find(name);
        if (spec == nullptr) {
            return std::unexpected("'" + std::string(name) + "' is not a symbol of the catalog");
        }
        if (std::ranges::any_of(chosen, [name](const auto& c) { return c.name == name; })) {
            return std::unexpected("'" + std::string(name) + "' is listed twice");
        }
        chosen.push_back(*spec);
    }
    return SymbolCatalog(std::move(chosen));
}

const SymbolSpec* SymbolCatalog::find(std::string_view name) const {
    const auto it = std::lower_bound(
        symbols_.begin(), symbols_.end(), name,
        [](const SymbolSpec& spec, std::string_view key) { return spec.name < key; });
    return it != symbols_.end() && it->name == name ? &*it : nullptr;
}

}  // namespace botcore::domain
