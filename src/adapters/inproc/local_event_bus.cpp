#include "adapters/inproc/local_event_bus.hpp"

#include <mutex>

namespace botcore::adapters::inproc {

void LocalEventBus::publish(std::string_view topic, std::string_view key, std::string body) {
    if (const auto handle = handler(topic)) {
        (*handle)(key, body);
    }
}

void LocalEventBus::subscribe(std::string_view topic, Handler handler) {
    std::unique_lock lock(mutex_);
    if (handler) {
        handlers_.insert_or_assign(std::string(topic),
                                   std::make_shared<const Handler>(std::move(handler)));
    } else if (const auto it = handlers_.find(topic); it != handlers_.end()) {
        handlers_.erase(it);
    }
}

std::shared_ptr<const LocalEventBus::Handler> LocalEventBus::handler(std::string_view topic) const {
    std::shared_lock lock(mutex_);
    const auto it = handlers_.find(topic);
    return it == handlers_.end() ? nullptr : it->second;
}

}  // namespace botcore::adapters::inproc
