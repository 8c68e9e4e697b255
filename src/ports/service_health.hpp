// Whether an optional shared service (the cache, the event bus) is there and answering. Both are
// optional: a single instance runs without them, and an instance whose cache or bus becomes
// unreachable keeps serving on what it knows locally (degraded) until they return.
#pragma once

#include <string_view>

namespace botcore::ports {

enum class ServiceHealth { kDisabled, kOk, kFailing };

std::string_view to_string(ServiceHealth health);

}  // namespace botcore::ports
