// Counts by reason text ("http 429", "close 1008", ...), for the rare events of a run.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace botcore::load {

class ReasonCounts {
  public:
    void add(std::string_view reason, std::uint64_t n = 1);
    std::map<std::string, std::uint64_t> snapshot() const;
    std::uint64_t total() const;

  private:
    mutable std::mutex mutex_;
    std::map<std::string, std::uint64_t, std::less<>> counts_;
};

}  // namespace botcore::load
