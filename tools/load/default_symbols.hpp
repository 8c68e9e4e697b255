// Symbols used with --no-auth when --symbols is not given: the server's catalogue, which the
// Node peer (bench/peers/ws_broadcast.js) serves too.
#pragma once

#include <string>
#include <vector>

namespace botcore::load {

inline std::vector<std::string> default_symbols() {
    return {"BTCUSDT",  "ETHUSDT", "BNBUSDT",  "SOLUSDT",   "XRPUSDT", "ADAUSDT", "DOGEUSDT",
            "AVAXUSDT", "DOTUSDT", "LINKUSDT", "MATICUSDT", "LTCUSDT", "TRXUSDT", "ATOMUSDT",
            "UNIUSDT",  "ETCUSDT", "XLMUSDT",  "NEARUSDT",  "APTUSDT", "FILUSDT"};
}

}  // namespace botcore::load
