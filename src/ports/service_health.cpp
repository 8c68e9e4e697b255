#include "ports/service_health.hpp"

namespace botcore::ports {

std::string_view to_string(ServiceHealth health) {
    switch (health) {
        case ServiceHealth::kDisabled:
            return "disabled";
        case ServiceHealth::kOk:
            return "ok";
        case ServiceHealth::kFailing:
            return "failing";
    }
    return "failing";
}

}  // namespace botcore::ports
