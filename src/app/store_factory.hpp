// The storage engine the configuration names: SQLite in store.data_dir, or PostgreSQL.
#pragma once

#include <memory>

#include "app/config.hpp"
#include "ports/store_engine.hpp"

namespace botcore {

// readers: connections an embedded store keeps for concurrent reads. Throws
// ports::StoreUnavailable when the store cannot be opened or reached.
std::unique_ptr<ports::StoreEngine> open_store(const Config& config, int readers);

}  // namespace botcore
