// Which users' background work (price triggers, funding, bots) this instance does. One instance
// does all of it; instances sharing a store split users into virtual shards, each owned by one
// live instance at a time and taken over by another when its owner dies.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

namespace botcore::ports {

class WorkPartition {
  public:
    virtual ~WorkPartition() = default;
    virtual bool owns(std::string_view user_id) const = 0;
    // gained(shards) runs (on the partition's thread) when this instance has taken over shards:
    // their users' books must now be watched here.
    virtual void on_gained(std::function<void(const std::vector<int>& shards)> gained) = 0;
};

// The virtual shard of a user: a stable hash of the id (FNV-1a), the same on every instance.
int shard_of(std::string_view user_id, int shards);

}  // namespace botcore::ports
