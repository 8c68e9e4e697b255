// A whole storage engine: every store port in one object, plus what operations need from it
// (migrations, draining writes, figures for metrics). SQLite and PostgreSQL implement it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ports/bot_store.hpp"
#include "ports/feed.hpp"
#include "ports/market_store.hpp"
#include "ports/store.hpp"
#include "ports/trading_store.hpp"

namespace botcore::ports {

struct ReplicaState {
    std::string name;
    bool healthy = false;  // reachable and within the lag bound: reads may go there
    double lag_seconds = 0;
};

struct EngineStats {
    std::uint64_t commit_batches = 0;  // write transactions committed by group commit
    std::uint64_t committed_writes = 0;
    // Flushes that made committed batches durable, when the engine flushes apart from its
    // commits (SQLite; several batches may share one).
    std::optional<std::uint64_t> flushes;
    int connections_open = 0;
    // Pooled connections the server had ended while they were idle (a restart, a failover),
    // found before use and replaced.
    std::optional<std::uint64_t> connections_ended;
    std::vector<ReplicaState> replicas;
};

class StoreEngine : public Store, public TradingStore, public MarketStore, public BotStore {
  public:
    // Applies pending migrations; returns what was applied ("2 bot_settings").
    virtual std::vector<std::string> migrate(std::int64_t now_ms) = 0;
    virtual int schema_version() = 0;
    // The newest schema version this build knows (its last migration).
    virtual int known_schema_version() const = 0;
    // Where the data lives, for logs (never a password).
    virtual std::string location() const = 0;
    // Waits until every write submitted so far has committed.
    virtual void flush() = 0;
    virtual EngineStats stats() const = 0;
    // How instances sharing this store exchange ticks; nullptr for a store of one instance.
    virtual TickBus* tick_bus() { return nullptr; }
};

}  // namespace botcore::ports
