// Time as the core sees it: a port, so tests can move it by hand.
#pragma once

#include <cstdint>

namespace botcore::ports {

class Clock {
  public:
    virtual ~Clock() = default;
    virtual std::int64_t now_ms() const = 0;  // milliseconds since the Unix epoch
};

class SystemClock final : public Clock {
  public:
    std::int64_t now_ms() const override;
};

}  // namespace botcore::ports
