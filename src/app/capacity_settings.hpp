// The capacity model's inputs, from the configuration and what the machine offers.
#pragma once

#include "app/config.hpp"
#include "ops/capacity.hpp"
#include "ops/process_stats.hpp"
#include "ports/store_engine.hpp"

namespace botcore {

ops::InstanceLimits instance_limits(const Config& config, const ops::ProcessStats& process,
                                    const ports::StoreEngine& store);
ops::UserCost user_cost(const CapacityConfig& capacity);
ops::ScalingPolicy scaling_policy(const ScalingConfig& scaling);
ops::Costs costs(const CapacityConfig& capacity);

}  // namespace botcore
