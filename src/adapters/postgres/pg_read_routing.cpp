#include "adapters/postgres/pg_read_routing.hpp"

#include "ports/store.hpp"

namespace botcore::adapters::postgres {

namespace {

constexpr Sql kPrimaryLsn{"routing_primary_lsn", "SELECT pg_current_wal_lsn()::text"};
// Caught up when it replayed what the primary had written when asked; otherwise the lag is the
// age of the last transaction it replayed.
constexpr Sql kReplicaLag{
    "routing_replica_lag",
    "SELECT pg_is_in_recovery(), "
    "CASE WHEN pg_last_wal_replay_lsn() >= $1::pg_lsn THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), "
    "1e9) END::float8::text"};

}  // namespace

std::optional<ReadPreference> parse_read_preference(std::string_view text) {
    if (text == "primary") {
        return ReadPreference::kPrimary;
    }
    if (text == "primaryPreferred") {
        return ReadPreference::kPrimaryPreferred;
    }
    if (text == "secondary") {
        return ReadPreference::kSecondary;
    }
    if (text == "secondaryPreferred") {
        return ReadPreference::kSecondaryPreferred;
    }
    return std::nullopt;
}

ReadRouter::ReadRouter(Pool& primary, const std::vector<std::string>& replica_urls,
                       PoolSettings replica_pool, std::chrono::milliseconds max_lag)
    : primary_(primary), max_lag_(max_lag) {
    for (std::size_t i = 0; i < replica_urls.size(); ++i) {
        auto replica = std::make_unique<Replica>();
        replica->name = "replica_" + std::to_string(i + 1);
        replica->pool = std::make_unique<Pool>(replica_urls[i], replica_pool);
        replicas_.push_back(std::move(replica));
    }
}

std::optional<Pool::Lease> ReadRouter::healthy_replica() {
    for (std::size_t tried = 0; tried < replicas_.size(); ++tried) {
        auto& replica =
            *replicas_[next_.fetch_add(1, std::memory_order_relaxed) % replicas_.size()];
        if (!replica.healthy.load(std::memory_order_relaxed)) {
            continue;
        }
        try {
            return replica.pool->acquire();
        } catch (const ports::StoreUnavailable&) {
            replica.healthy = false;
        }
    }
    return std::nullopt;
}

Pool::Lease ReadRouter::acquire(ReadPreference preference) {
    switch (preference) {
        case ReadPreference::kPrimary:
            return primary_.acquire();
        case ReadPreference::kPrimaryPreferred:
            try {
                return primary_.acquire();
            } catch (const ports::StoreUnavailable&) {
                if (auto replica = healthy_replica()) {
                    return std::move(*replica);
                }
                throw;
            }
        case ReadPreference::kSecondary:
            if (auto replica = healthy_replica()) {
                return std::move(*replica);
            }
            throw ports::StoreUnavailable("no replica is available within the lag bound");
        case ReadPreference::kSecondaryPreferred:
            if (auto replica = healthy_replica()) {
                return std::move(*replica);
            }
            return primary_.acquire();
    }
    return primary_.acquire();
}

void ReadRouter::check_replicas() {
    if (replicas_.empty()) {
        return;
    }
    std::string primary_lsn;
    try {
        auto connection = primary_.acquire();
        primary_lsn = connection->run(kPrimaryLsn).text(0, 0);
    } catch (const ports::StoreUnavailable&) {
        return;  // nothing to compare with; keep the last verdicts
    }
    for (auto& replica : replicas_) {
        try {
            auto connection = replica->pool->acquire();
            const auto row = connection->run(kReplicaLag, Params::of(primary_lsn));
            const double lag = std::stod(row.text(0, 1));
            replica->lag_seconds = lag;
            // A server that is not in recovery is not a replica of this primary (or was promoted).
            replica->healthy =
                row.boolean(0, 0) && lag * 1000.0 <= static_cast<double>(max_lag_.count());
        } catch (const std::exception&) {
            replica->healthy = false;
        }
    }
}

void ReadRouter::close_idle() {
    for (auto& replica : replicas_) {
        replica->pool->close_idle();
    }
}

std::vector<ports::ReplicaState> ReadRouter::replicas() const {
    std::vector<ports::ReplicaState> out;
    for (const auto& replica : replicas_) {
        out.push_back({replica->name, replica->healthy.load(), replica->lag_seconds.load()});
    }
    return out;
}

}  // namespace botcore::adapters::postgres
