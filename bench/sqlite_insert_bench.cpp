// The peer figure for durable order throughput: single-row autocommit INSERTs into SQLite with
// the store's own settings (WAL, synchronous = FULL), against group commit of the same rows.
//
//   build/sqlite_insert_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "adapters/sqlite/group_commit.hpp"
#include "adapters/sqlite/sqlite_db.hpp"

namespace {

using botcore::adapters::sqlite::Connection;
using botcore::adapters::sqlite::GroupCommitter;

constexpr const char* kInsert =
    "INSERT INTO orders_like (user_id, id, symbol, quantity, price, created_ms) "
    "VALUES (?, ?, 'BTCUSDT', 100000, 5000000000000, ?)";

struct Database {
    Database() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "botcore-bench-XXXXXX").string();
        dir = ::mkdtemp(pattern.data());
        connection = std::make_unique<Connection>(dir + "/bench.db", false);
        connection->exec(
            "CREATE TABLE orders_like (user_id TEXT NOT NULL, id TEXT NOT NULL, symbol TEXT NOT "
            "NULL, quantity INTEGER NOT NULL, price INTEGER NOT NULL, created_ms INTEGER NOT "
            "NULL, PRIMARY KEY (user_id, id)) STRICT");
    }
    ~Database() {
        connection.reset();
        std::filesystem::remove_all(dir);
    }
    std::string dir;
    std::unique_ptr<Connection> connection;
};

void AutocommitInsert(benchmark::State& state) {
    Database db;
    std::int64_t n = 0;
    for (auto _ : state) {
        ++n;
        db.connection->prepare(kInsert)
            .bind_all(std::string_view("user"), std::to_string(n), n)
            .step();
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(AutocommitInsert)->UseRealTime()->MinTime(3.0);

// The same rows through the group committer, submitted by `range(0)` producers at once.
void GroupCommitInsert(benchmark::State& state) {
    Database db;
    std::mutex connection_mutex;
    GroupCommitter committer(*db.connection, connection_mutex);
    std::int64_t n = 0;
    const auto in_flight = state.range(0);
    for (auto _ : state) {
        std::atomic<std::int64_t> pending{in_flight};
        for (std::int64_t i = 0; i < in_flight; ++i) {
            const auto id = ++n;
            committer.submit(
                [id](Connection& c) {
                    c.prepare(kInsert)
                        .bind_all(std::string_view("user"), std::to_string(id), id)
                        .step();
                },
                [&pending](std::exception_ptr) { --pending; });
        }
        committer.flush();
    }
    state.SetItemsProcessed(state.iterations() * in_flight);
}
BENCHMARK(GroupCommitInsert)->Arg(1)->Arg(16)->Arg(64)->UseRealTime()->MinTime(3.0);

}  // namespace

BENCHMARK_MAIN();
