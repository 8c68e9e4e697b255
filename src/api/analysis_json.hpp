// The JSON shape of the analysis signal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/json.hpp"
#include "engine/analysis_service.hpp"

namespace botcore::api {

// A signal is recomputed whenever a candle closes; one older than this is recomputed on read.
inline constexpr std::int64_t kSignalTtlMs = 3'600'000;

// {"symbol","signal","confidence","score","primary","indicators":{...},"timeframes":{...},
//  "computed_ms","cached"}
std::string signal_json(std::string_view symbol, const engine::SignalSnapshot& snapshot,
                        bool cached);

}  // namespace botcore::api
