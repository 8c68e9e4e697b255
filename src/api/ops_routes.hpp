// GET /health and GET /metrics.
#pragma once

#include <functional>
#include <string>

#include "api/router.hpp"
#include "ops/instance_state.hpp"
#include "ops/metrics.hpp"
#include "ops/process_stats.hpp"
#include "ports/cache.hpp"
#include "ports/event_bus.hpp"
#include "ports/store.hpp"

namespace botcore::api {

struct OpsContext {
    ops::InstanceState& instance;
    ops::ProcessStats& process;
    ops::MetricsRegistry& metrics;
    ports::Store& store;
    std::string version;
    // "ok", "stale" (no price for too long) or "manual"; "disabled" when absent.
    std::function<std::string()> feed_status;
    // The shared cache and event bus, when the instance has them.
    const ports::Cache* cache = nullptr;
    const ports::EventBus* bus = nullptr;
};

void add_ops_routes(Router& router, OpsContext context);

// The families /metrics writes besides the per-route request metrics.
void add_process_collectors(OpsContext context);

}  // namespace botcore::api
