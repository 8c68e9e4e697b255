// GET /api/capacity/current and GET /api/capacity/forecast (operations, no auth).
#pragma once

#include <string>

#include "api/router.hpp"
#include "ops/capacity_monitor.hpp"

namespace botcore::api {

void add_capacity_routes(Router& router, ops::CapacityMonitor& monitor, std::string instance_id);

}  // namespace botcore::api
