// The event bus of a single instance: a message goes straight to this process's handler.
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>

#include "ports/event_bus.hpp"

namespace botcore::adapters::inproc {

class LocalEventBus final : public ports::EventBus {
  public:
    void publish(std::string_view topic, std::string_view key, std::string body) override;
    void subscribe(std::string_view topic, Handler handler) override;
    bool crosses_instances() const override { return false; }
    ports::ServiceHealth health() const override { return ports::ServiceHealth::kDisabled; }

    // The handler of topic, shared so a call in progress survives a concurrent subscribe.
    std::shared_ptr<const Handler> handler(std::string_view topic) const;

  private:
    mutable std::shared_mutex mutex_;
    std::map<std::string, std::shared_ptr<const Handler>, std::less<>> handlers_;
};

}  // namespace botcore::adapters::inproc
