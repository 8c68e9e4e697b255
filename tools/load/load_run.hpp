// One load run from sign-in to close, bounded by --max-seconds.
#pragma once

#include "load_options.hpp"
#include "run_report.hpp"

namespace botcore::load {

RunReport run_load(const LoadOptions& options);

}  // namespace botcore::load
