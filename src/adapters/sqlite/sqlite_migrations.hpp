// Versioned schema of the embedded store. Applied in order; each version once, recorded in
// schema_migrations inside the same transaction as its DDL.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "adapters/sqlite/sqlite_db.hpp"

namespace botcore::adapters::sqlite {

struct Migration {
    int version;
    const char* name;
    const char* sql;
};

std::span<const Migration> migrations();

// Applies what is missing; returns the "version name" of each migration applied now.
std::vector<std::string> migrate(Connection& connection, std::int64_t now_ms);
// Highest applied version, 0 for an empty database.
int schema_version(Connection& connection);

}  // namespace botcore::adapters::sqlite
