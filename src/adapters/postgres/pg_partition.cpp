#include "adapters/postgres/pg_partition.hpp"

#include <random>
#include <set>

#include "ports/store.hpp"

namespace botcore::adapters::postgres {

namespace {

// Lock class ids derived from the schema, so clusters in different schemas of one database are
// partitioned independently.
constexpr Sql kKeys{"partition_keys",
                    "SELECT hashtext(current_schema() || ':shards'), "
                    "hashtext(current_schema() || ':members'), "
                    "hashtext(current_schema() || ':feed')"};
constexpr Sql kJoin{"partition_join", "SELECT pg_try_advisory_lock($1::int, $2::int)"};
// Advisory locks belong to a database, but pg_locks shows every database's: a cluster in the
// same schema of another database on the server is not a member.
// One row per member: its session's server process id, new for every session, so an instance
// that restarts between two rounds still shows as one leaving and one joining.
constexpr Sql kMembers{"partition_members",
                       "SELECT DISTINCT pid FROM pg_locks WHERE locktype = 'advisory' "
                       "AND classid = ($1::int)::oid AND granted AND database = "
                       "(SELECT oid FROM pg_database WHERE datname = current_database())"};
// The server ends this session, and with it the locks, when its instance is gone without
// closing it: a dead host is noticed by TCP keepalives within seconds (not the system's two
// hours), a hung one (no round for idle_timeout) by the idle-session timeout. A round's query
// that hangs fails after 10 s, so the instance stops counting on shards it may have lost.
constexpr Sql kSessionLimits{"partition_session_limits",
                             "SELECT set_config('idle_session_timeout', $1, false), "
                             "set_config('statement_timeout', '10000', false), "
                             "set_config('tcp_keepalives_idle', '10', false), "
                             "set_config('tcp_keepalives_interval', '5', false), "
                             "set_config('tcp_keepalives_count', '3', false)"};
constexpr Sql kTake{"partition_take", "SELECT pg_try_advisory_lock($1::int, $2::int)"};
constexpr Sql kGiveBack{"partition_give_back", "SELECT pg_advisory_unlock($1::int, $2::int)"};

}  // namespace

PgPartition::PgPartition(std::string url, std::chrono::milliseconds period,
                         std::chrono::milliseconds idle_timeout)
    : url_(std::move(url)), period_(period), idle_timeout_(idle_timeout), owned_(kShards) {}

PgPartition::~PgPartition() {
    stopping_ = true;
    if (thread_.joinable()) {
        thread_.join();
    }
}

void PgPartition::start() {
    balance();
    thread_ = std::thread([this] {
        while (!stopping_) {
            for (auto waited = std::chrono::milliseconds(0); waited < period_ && !stopping_;
                 waited += std::chrono::milliseconds(50)) {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
            if (!stopping_) {
                try {
                    balance();
                } catch (const std::exception&) {
                    // Nothing may end this thread but stopping: owning nothing is safe, and
                    // the next round starts over with a new session.
                    forget_all();
                    session_.reset();
                }
            }
        }
    });
}

bool PgPartition::owns(std::string_view user_id) const {
    return owned_[static_cast<std::size_t>(ports::shard_of(user_id, kShards))].load(
        std::memory_order_relaxed);
}

void PgPartition::on_gained(std::function<void(const std::vector<int>& shards)> gained) {
    std::lock_guard lock(gained_mutex_);
    gained_ = std::move(gained);
}

int PgPartition::owned_count() const {
    int count = 0;
    for (const auto& shard : owned_) {
        count += shard.load(std::memory_order_relaxed) ? 1 : 0;
    }
    return count;
}

void PgPartition::forget_all() {
    leads_feed_ = false;
    // The next session's first round is a new baseline (after a failover every member's
    // session is new).
    member_pids_.clear();
    for (auto& shard : owned_) {
        shard = false;
    }
}

void PgPartition::count_members(const std::set<std::int64_t>& pids) {
    if (!member_pids_.empty()) {
        std::uint64_t joined = 0;
        std::uint64_t left = 0;
        for (const auto pid : pids) {
            joined += member_pids_.contains(pid) ? 0 : 1;
        }
        for (const auto pid : member_pids_) {
            left += pids.contains(pid) ? 0 : 1;
        }
        joined_.fetch_add(joined, std::memory_order_relaxed);
        left_.fetch_add(left, std::memory_order_relaxed);
    }
    member_pids_ = pids;
    members_.store(static_cast<int>(pids.size()), std::memory_order_relaxed);
}

void PgPartition::balance() {
    std::vector<int> gained;
    try {
        if (!session_ || !session_->still_open()) {
            // A new session holds no locks: whatever the old one held may be someone else's.
            forget_all();
            session_.reset();
            auto session = std::make_unique<Connection>(url_);
            session->run(kSessionLimits, Params::of(std::to_string(idle_timeout_.count())));
            const auto keys = session->run(kKeys);
            shard_key_ = keys.integer(0, 0);
            member_key_ = keys.integer(0, 1);
            feed_key_ = keys.integer(0, 2);
            std::mt19937 random(std::random_device{}());
            // Any free member id: the membership lock only has to be held, not be unique.
            for (int attempt = 0; attempt < 100; ++attempt) {
                const auto id = static_cast<int>(random() % 1'000'000);
                if (session->run(kJoin, Params::of(member_key_, id)).boolean(0, 0)) {
                    break;
                }
            }
            session_ = std::move(session);
        }
        if (!leads_feed_ && session_->run(kTake, Params::of(feed_key_, 0)).boolean(0, 0)) {
            leads_feed_ = true;
        }
        const auto listed = session_->run(kMembers, Params::of(member_key_));
        std::set<std::int64_t> pids;
        for (int row = 0; row < listed.rows(); ++row) {
            pids.insert(listed.integer(row, 0));
        }
        count_members(pids);
        const auto members = std::max<std::int64_t>(1, static_cast<std::int64_t>(pids.size()));
        const auto fair = static_cast<int>((kShards + members - 1) / members);
        int mine = owned_count();
        // Start at a different shard on each instance, so that newcomers do not all race for
        // the same free shards.
        const int offset = static_cast<int>(std::random_device{}() % kShards);
        for (int i = 0; i < kShards && mine < fair; ++i) {
            const int shard = (offset + i) % kShards;
            if (owned_[static_cast<std::size_t>(shard)]) {
                continue;
            }
            if (session_->run(kTake, Params::of(shard_key_, shard)).boolean(0, 0)) {
                owned_[static_cast<std::size_t>(shard)] = true;
                gained.push_back(shard);
                ++mine;
            }
        }
        for (int shard = kShards - 1; shard >= 0 && mine > fair; --shard) {
            if (owned_[static_cast<std::size_t>(shard)]) {
                owned_[static_cast<std::size_t>(shard)] = false;
                session_->run(kGiveBack, Params::of(shard_key_, shard));
                --mine;
            }
        }
    } catch (const ports::StoreUnavailable&) {
        forget_all();
        session_.reset();
        return;
    }
    if (!gained.empty()) {
        std::lock_guard lock(gained_mutex_);
        if (gained_) {
            try {
                gained_(gained);
            } catch (const std::exception&) {
                // The work of these shards could not be taken up (the store failed meanwhile):
                // they are given back, so that they are gained again, here or elsewhere, and
                // taken up then.
                give_back(gained);
            }
        }
    }
}

void PgPartition::give_back(const std::vector<int>& shards) {
    try {
        for (const int shard : shards) {
            owned_[static_cast<std::size_t>(shard)] = false;
            session_->run(kGiveBack, Params::of(shard_key_, shard));
        }
    } catch (const ports::StoreUnavailable&) {
        forget_all();  // the session ends, and its locks with it
        session_.reset();
    }
}

}  // namespace botcore::adapters::postgres
