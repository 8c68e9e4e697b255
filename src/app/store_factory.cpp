#include "app/store_factory.hpp"

#include "adapters/postgres/pg_store.hpp"
#include "adapters/sqlite/sqlite_store.hpp"
#include "domain/text_list.hpp"

namespace botcore {

namespace {

std::vector<std::string> split_urls(std::string_view text) {
    std::vector<std::string> out;
    for (const auto url : domain::split_list(text)) {
        if (!url.empty()) {
            out.emplace_back(url);
        }
    }
    return out;
}

adapters::postgres::ReadPreference preference(const std::string& text) {
    // Validated by the config loader.
    return adapters::postgres::parse_read_preference(text).value_or(
        adapters::postgres::ReadPreference::kPrimary);
}

}  // namespace

std::unique_ptr<ports::StoreEngine> open_store(const Config& config, int readers) {
    if (config.store.engine == "postgres") {
        const auto& pg = config.postgres;
        adapters::postgres::PgSettings settings;
        settings.url = pg.url;
        settings.pooler_url = pg.pooler_url;
        settings.replica_urls = split_urls(pg.replica_urls);
        settings.pool = {pg.pool_min, pg.pool_max, std::chrono::seconds(pg.pool_idle_seconds),
                         std::chrono::milliseconds(pg.pool_acquire_timeout_ms)};
        settings.max_replica_lag = std::chrono::milliseconds(pg.max_replica_lag_ms);
        settings.committers = pg.committers;
        settings.history = preference(pg.read_history);
        settings.analytics = preference(pg.read_analytics);
        return std::make_unique<adapters::postgres::PgStore>(std::move(settings));
    }
    return std::make_unique<adapters::sqlite::SqliteStore>(config.store.data_dir, readers);
}

}  // namespace botcore
