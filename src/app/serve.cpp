#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "adapters/sqlite/sqlite_store.hpp"
#include "api/auth_routes.hpp"
#include "api/ops_routes.hpp"
#include "app/commands.hpp"
#include "app/jwt_secret.hpp"
#include "app/logging.hpp"
#include "auth/auth_service.hpp"
#include "net/http_server.hpp"
#include "ops/instance_state.hpp"
#include "ops/metrics.hpp"
#include "ops/process_stats.hpp"
#include "version.hpp"

namespace botcore {

namespace {

auth::AuthSettings auth_settings(const Config& config) {
    auth::AuthSettings settings;
    settings.access_ttl_s = config.auth.access_ttl_seconds;
    settings.refresh_ttl_s = config.auth.refresh_ttl_seconds;
    settings.password_min_length = config.auth.password_min_length;
    settings.lockout = {config.auth.lockout_failures, config.auth.lockout_window_seconds * 1000LL,
                        config.auth.lockout_seconds * 1000LL};
    settings.password_cost = {
        static_cast<unsigned long long>(config.auth.password_hash_ops),
        static_cast<std::size_t>(config.auth.password_hash_memory_kib) * 1024};
    // Validated by the config loader.
    settings.initial_balance = *domain::Decimal::parse(config.account.initial_balance);
    return settings;
}

net::ServerLimits server_limits(const ServerConfig& server) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return net::ServerLimits{
        server.threads > 0 ? server.threads : cores,
        server.worker_threads,
        server.max_connections,
        server.body_limit_bytes,
        std::chrono::seconds(server.request_timeout_seconds),
        std::chrono::seconds(server.idle_timeout_seconds),
        std::chrono::seconds(server.drain_grace_seconds),
        std::chrono::seconds(server.shutdown_timeout_seconds),
    };
}

}  // namespace

int run_serve(const Config& config) {
    auto log = make_logger(config.log);
    try {
        const auto limits = server_limits(config.server);
        auto secret = load_or_create_jwt_secret(config.auth.jwt_secret, config.store.data_dir);
        if (!secret) {
            log->error(R"("msg":"{}")", secret.error());
            return kExitRuntime;
        }
        // One reader per thread that may run a handler, so a reader is always free.
        adapters::sqlite::SqliteStore store(config.store.data_dir,
                                            limits.threads + limits.worker_threads + 2);
        ports::SystemClock clock;
        if (config.store.auto_migrate) {
            for (const auto& applied : store.migrate(clock.now_ms())) {
                log->info(R"("msg":"migration applied","migration":"{}")", applied);
            }
        }
        auth::RevocationList revocations;
        for (const auto& token : store.revoked_tokens(clock.now_ms())) {
            revocations.add(token.jti, token.expires_ms, clock.now_ms());
        }
        auth::JwtCodec jwt(*secret);
        auth::AuthService auth(store, clock, revocations, jwt, auth_settings(config));

        ops::InstanceState instance;
        instance.instance_id = auth::random_token(6);
        instance.max_connections = config.server.max_connections;
        // WebSockets are upgraded HTTP connections and count against the same cap.
        instance.ws_limit = config.server.max_connections;
        ops::ProcessStats process;
        ops::MetricsRegistry metrics;
        api::OpsContext ops{instance, process, metrics, store, kVersion};
        api::Router router;
        api::add_ops_routes(router, ops);
        api::add_process_collectors(ops);
        api::add_auth_routes(router, auth);

        net::HttpServer server(limits, router, metrics, instance, log, config.log.access);
        auto bound = server.bind(config.server.listen);
        if (!bound) {
            log->error(R"("msg":"{}")", bound.error());
            return kExitRuntime;
        }
        log->info(R"("msg":"listening","address":"{}","instance":"{}","version":"{}")", *bound,
                  instance.instance_id, kVersion);
        std::printf("listening on http://%s\n", bound->c_str());
        std::fflush(stdout);
        server.run();
        return kExitOk;
    } catch (const ports::StoreUnavailable& e) {
        log->error(R"("msg":"store unavailable","error":"{}")", e.what());
        return kExitRuntime;
    }
}

int run_migrate(const Config& config) {
    try {
        adapters::sqlite::SqliteStore store(config.store.data_dir, 1);
        ports::SystemClock clock;
        const auto applied = store.migrate(clock.now_ms());
        for (const auto& migration : applied) {
            std::printf("applied %s\n", migration.c_str());
        }
        std::printf("schema version %d (%s)\n", store.schema_version(),
                    adapters::sqlite::SqliteStore::database_path(config.store.data_dir).c_str());
        return kExitOk;
    } catch (const ports::StoreUnavailable& e) {
        std::fprintf(stderr, "migrate failed: %s\n", e.what());
        return kExitRuntime;
    }
}

int run_config_check(const LoadedConfig& loaded) {
    for (const auto& entry : loaded.entries) {
        std::printf("%s = %s (%s)\n", entry.key.c_str(), entry.value.c_str(),
                    std::string(to_string(entry.source)).c_str());
    }
    return kExitOk;
}

}  // namespace botcore
