// Messages between the instances of a cluster (a trade made on one reaches the user's
// WebSocket on another). In-process when there is a single instance.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "ports/service_health.hpp"

namespace botcore::ports {

// publish() never waits for the network; a message reaches the topic's handler on every
// instance, this one included (here, synchronously, before publish returns).
class EventBus {
  public:
    using Handler = std::function<void(std::string_view key, std::string_view body)>;

    virtual ~EventBus() = default;
    virtual void publish(std::string_view topic, std::string_view key, std::string body) = 0;
    // One handler per topic, set before the first publish; an empty one stops the calls.
    virtual void subscribe(std::string_view topic, Handler handler) = 0;
    // Whether other instances receive what is published here.
    virtual bool crosses_instances() const = 0;
    virtual ServiceHealth health() const = 0;
};

}  // namespace botcore::ports
