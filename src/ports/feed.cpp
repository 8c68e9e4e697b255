#include "ports/feed.hpp"

namespace botcore::ports {

std::string_view to_string(FeedHealth health) {
    switch (health) {
        case FeedHealth::kOk:
            return "ok";
        case FeedHealth::kStarting:
            return "starting";
        case FeedHealth::kDegraded:
            return "degraded";
        case FeedHealth::kFinished:
            return "finished";
    }
    return "degraded";
}

}  // namespace botcore::ports
