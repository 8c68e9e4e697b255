#include "ports/work_partition.hpp"

#include <cstdint>

namespace botcore::ports {

int shard_of(std::string_view user_id, int shards) {
    std::uint32_t hash = 2166136261u;
    for (const char c : user_id) {
        hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
    }
    return static_cast<int>(hash % static_cast<std::uint32_t>(shards));
}

}  // namespace botcore::ports
