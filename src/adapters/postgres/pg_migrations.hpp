// The PostgreSQL schema, as versioned migrations. Same tables, keys, indexes and constraints as
// the SQLite schema (adapters/sqlite/sqlite_migrations.cpp), in PostgreSQL's types.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "adapters/postgres/pg_connection.hpp"

namespace botcore::adapters::postgres {

int schema_version(Connection& connection);
// The version of the last migration this build knows.
int known_schema_version();
// Applies pending migrations, each in its own transaction, under an advisory lock so that
// instances starting together apply each migration once. Returns what was applied.
std::vector<std::string> migrate(Connection& connection, std::int64_t now_ms);

}  // namespace botcore::adapters::postgres
