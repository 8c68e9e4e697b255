// The JSON shape of the analysis signal.
#pragma once

#include <string>
#include <string_view>

#include "api/json.hpp"
#include "engine/analysis_service.hpp"

namespace botcore::api {

// {"symbol","signal","confidence","score","primary","indicators":{...},"timeframes":{...},
//  "computed_ms","cached"}
std::string signal_json(std::string_view symbol, const engine::SignalSnapshot& snapshot,
                        bool cached);

}  // namespace botcore::api
