// The botcore subcommands. Each returns the process exit code: 0 clean stop, 1 runtime
// failure, 2 bad configuration or usage.
#pragma once

#include "app/config.hpp"

namespace botcore {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;

int run_serve(const Config& config);
int run_migrate(const Config& config);
int run_config_check(const LoadedConfig& loaded);

}  // namespace botcore
