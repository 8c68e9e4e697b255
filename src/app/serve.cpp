#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iterator>
#include <set>
#include <thread>

#include "adapters/inproc/local_event_bus.hpp"
#include "adapters/postgres/pg_partition.hpp"
#include "adapters/redis/redis_cache.hpp"
#include "adapters/redis/redis_event_bus.hpp"
#include "api/analysis_routes.hpp"
#include "api/auth_routes.hpp"
#include "api/bot_routes.hpp"
#include "api/capacity_routes.hpp"
#include "api/ops_routes.hpp"
#include "api/trading_routes.hpp"
#include "app/capacity_settings.hpp"
#include "app/commands.hpp"
#include "app/jwt_secret.hpp"
#include "app/logging.hpp"
#include "app/market_pipeline.hpp"
#include "app/store_factory.hpp"
#include "auth/auth_service.hpp"
#include "domain/decimal_math.hpp"
#include "engine/trading_service.hpp"
#include "market/candle_book.hpp"
#include "market/price_book.hpp"
#include "market/replay_feed.hpp"
#include "market/simulated_feed.hpp"
#include "net/binance_feed.hpp"
#include "net/http_server.hpp"
#include "ops/capacity_monitor.hpp"
#include "ops/instance_state.hpp"
#include "ops/metrics.hpp"
#include "ops/periodic_task.hpp"
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

engine::TradingSettings trading_settings(const TradingConfig& trading) {
    // Basis points and parts per million as Decimal fractions (1 bp = 0.0001 = 10,000 units).
    const auto bp = [](int value) { return domain::Decimal::from_units(value * 10'000LL); };
    engine::TradingSettings settings;
    settings.slippage.base_rate = bp(trading.slippage_base_bp);
    settings.slippage.rate_per_step = bp(trading.slippage_bp_per_100k);
    settings.slippage.max_rate = bp(trading.slippage_max_bp);
    settings.funding_rate = domain::Decimal::from_units(trading.funding_rate_ppm * 100LL);
    return settings;
}

void add_trading_collectors(ops::MetricsRegistry& metrics, engine::TradingService& trading,
                            ports::StoreEngine& store) {
    metrics.add_collector([&trading, &store](ops::PromWriter& out) {
        using ops::PromWriter;
        const auto engine = store.stats();
        out.family("store_commits_total", "counter",
                   "Write transactions committed by group commit.");
        out.sample("store_commits_total", "", engine.commit_batches);
        if (engine.flushes) {
            out.family("store_flushes_total", "counter",
                       "Log flushes that made committed transactions durable.");
            out.sample("store_flushes_total", "", *engine.flushes);
        }
        out.family("store_committed_writes_total", "counter",
                   "Commands' writes carried by those transactions.");
        out.sample("store_committed_writes_total", "", engine.committed_writes);
        out.family("database_connections_open", "gauge", "Store connections open.");
        out.sample("database_connections_open", "", static_cast<double>(engine.connections_open));
        if (engine.connections_ended) {
            out.family("database_connections_ended_total", "counter",
                       "Pooled connections found ended by the server before use, and replaced.");
            out.sample("database_connections_ended_total", "", *engine.connections_ended);
        }
        if (!engine.replicas.empty()) {
            out.family("database_replication_lag_seconds", "gauge",
                       "How far each replica's replay is behind the primary.");
            for (const auto& replica : engine.replicas) {
                out.sample("database_replication_lag_seconds",
                           PromWriter::label("replica", replica.name), replica.lag_seconds);
            }
            out.family("database_replica_healthy", "gauge",
                       "1 when reads may go to the replica (reachable, within the lag bound).");
            for (const auto& replica : engine.replicas) {
                out.sample("database_replica_healthy", PromWriter::label("replica", replica.name),
                           replica.healthy ? 1.0 : 0.0);
            }
        }
        const auto stats = trading.stats();
        out.family("orders_total", "counter",
                   "Orders placed, by type and result (filled, resting, rejected).");
        for (const auto& [key, count] : stats.orders) {
            out.sample("orders_total",
                       PromWriter::label("type", key.first) + "," +
                           PromWriter::label("result", key.second),
                       count);
        }
        out.family("trades_open", "gauge", "Open positions (trades not yet closed), all users.");
        out.sample("trades_open", "", static_cast<double>(store.open_positions()));
        out.family("trigger_evaluations_total", "counter",
                   "Books evaluated because a price reached one of their triggers.");
        out.sample("trigger_evaluations_total", "", stats.trigger_evaluations);
        out.family("trigger_registrations", "gauge",
                   "(user, symbol) pairs with a registered trigger level.");
        out.sample("trigger_registrations", "", static_cast<double>(stats.trigger_registrations));
    });
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
        // Checked with the rest of the configuration.
        net::TrustedProxies::parse(server.trusted_proxies).value_or(net::TrustedProxies{}),
    };
}

// The replay or live Binance feed the configuration asks for, or why it cannot be made.
std::expected<std::unique_ptr<ports::Feed>, std::string> make_external_feed(
    const MarketConfig& market, const domain::SymbolCatalog& catalog, const ports::Clock& clock,
    std::shared_ptr<spdlog::logger> log) {
    if (market.source == "replay") {
        if (market.replay_path.empty()) {
            return std::unexpected("market.replay_path is required with market.source = replay");
        }
        market::ReplayConfig replay;
        replay.paths = {market.replay_path};
        replay.speed = market.replay_speed;
        replay.loop = market.replay_loop;
        replay.catalog = &domain::SymbolCatalog::default_catalog();
        replay.only = &catalog;
        // Recorded times moved forward by whole hours to now: candles keep their boundaries,
        // prices look current, and the 7-day retention does not delete what is replayed.
        replay.time = market::ReplayTime::kShiftedToNow;
        auto made = market::ReplayFeed::open(std::move(replay), clock);
        if (!made) {
            return std::unexpected(made.error());
        }
        return std::unique_ptr<ports::Feed>(std::move(*made));
    }
    net::BinanceFeedConfig binance;
    binance.url = market.binance_url;
    binance.interval = market.binance_interval;
    for (const auto& spec : catalog.all()) {
        binance.symbols.push_back(spec.name);
    }
    binance.on_log = [log](std::string_view message) {
        log->warn(R"("msg":"binance feed","detail":"{}")", message);
    };
    auto made = net::BinanceFeed::create(std::move(binance));
    if (!made) {
        return std::unexpected(made.error());
    }
    return std::unique_ptr<ports::Feed>(std::move(*made));
}

net::WebSocketSettings websocket_settings(const ServerConfig& server,
                                          const domain::SymbolCatalog& symbols) {
    net::WebSocketSettings settings;
    settings.symbols = &symbols;
    settings.max_connections_per_user = server.ws_max_per_user;
    settings.send_queue_messages = static_cast<std::size_t>(server.ws_send_queue_messages);
    settings.client_messages_per_minute = server.ws_messages_per_minute;
    settings.ping_interval = std::chrono::seconds(server.ws_ping_interval_seconds);
    settings.idle_timeout = std::chrono::seconds(server.ws_idle_timeout_seconds);
    return settings;
}

void add_websocket_collectors(ops::MetricsRegistry& metrics, const net::HttpServer& server) {
    metrics.add_collector([&server](ops::PromWriter& out) {
        const auto& ws = server.websocket_counters();
        const auto& hub = server.hub_counters();
        out.family("websocket_upgrades_total", "counter", "WebSocket sessions opened.");
        out.sample("websocket_upgrades_total", "", ws.upgrades.load());
        out.family("websocket_refused_total", "counter",
                   "Upgrades refused: bad token or the per-user connection limit.");
        out.sample("websocket_refused_total", "", ws.refused.load());
        out.family("websocket_slow_closes_total", "counter",
                   "Connections closed because they could not keep up.");
        out.sample("websocket_slow_closes_total", "", ws.slow_closes.load());
        out.family("websocket_client_messages_total", "counter", "Messages received from clients.");
        out.sample("websocket_client_messages_total", "", ws.client_messages.load());
        out.family("websocket_messages_sent_total", "counter",
                   "Messages written to WebSocket connections.");
        out.sample("websocket_messages_sent_total", "", ws.messages_sent.load());
        out.family("websocket_socket_writes_total", "counter",
                   "Gathered socket writes that carried them: a connection's pending messages go "
                   "out together.");
        out.sample("websocket_socket_writes_total", "", ws.socket_writes.load());
        out.family("websocket_messages_published_total", "counter",
                   "Messages published (each serialized once).");
        out.sample("websocket_messages_published_total", "", hub.published.load());
        out.family("websocket_deliveries_total", "counter",
                   "Copies of published messages handed to connections.");
        out.sample("websocket_deliveries_total", "", hub.deliveries.load());
    });
}

// The cache and event bus shared with the other instances (Redis), or an in-process bus alone.
struct SharedServices {
    std::unique_ptr<adapters::redis::RedisCache> cache;
    std::unique_ptr<ports::EventBus> bus;
    adapters::redis::RedisEventBus* redis_bus = nullptr;
};

SharedServices shared_services(const RedisConfig& redis, const std::string& instance_id) {
    SharedServices services;
    if (redis.url.empty()) {
        services.bus = std::make_unique<adapters::inproc::LocalEventBus>();
        return services;
    }
    // Validated by the config loader.
    const auto endpoint = *adapters::redis::parse_redis_url(redis.url);
    const std::chrono::milliseconds timeout(redis.timeout_ms);
    adapters::redis::RedisCacheSettings cache;
    cache.endpoint = endpoint;
    cache.prefix = redis.prefix;
    cache.timeout = timeout;
    services.cache = std::make_unique<adapters::redis::RedisCache>(std::move(cache));
    adapters::redis::RedisEventBusSettings bus;
    bus.endpoint = endpoint;
    bus.prefix = redis.prefix;
    bus.origin = instance_id;
    bus.max_length = redis.stream_max_length;
    bus.timeout = std::max(timeout, std::chrono::milliseconds(500));
    auto made = std::make_unique<adapters::redis::RedisEventBus>(std::move(bus));
    services.redis_bus = made.get();
    services.bus = std::move(made);
    return services;
}

// Runs a Redis event bus for as long as it lives.
class BusRun {
  public:
    explicit BusRun(adapters::redis::RedisEventBus* bus) : bus_(bus) {
        if (bus_ != nullptr) {
            bus_->start();
        }
    }
    ~BusRun() {
        if (bus_ != nullptr) {
            bus_->stop();
        }
    }
    BusRun(const BusRun&) = delete;
    BusRun& operator=(const BusRun&) = delete;

  private:
    adapters::redis::RedisEventBus* bus_;
};

void add_shared_service_collectors(ops::MetricsRegistry& metrics, const SharedServices& services) {
    if (!services.cache) {
        return;
    }
    metrics.add_collector([&services](ops::PromWriter& out) {
        out.family("cache_healthy", "gauge", "1 when the shared cache (Redis) answers.");
        out.sample("cache_healthy", "",
                   services.cache->health() == ports::ServiceHealth::kOk ? 1.0 : 0.0);
        out.family("event_bus_healthy", "gauge", "1 when the shared event bus (Redis) answers.");
        out.sample("event_bus_healthy", "",
                   services.bus->health() == ports::ServiceHealth::kOk ? 1.0 : 0.0);
        out.family(
            "event_bus_dropped_total", "counter",
            "Events not sent to other instances: the queue overflowed while Redis was away.");
        out.sample("event_bus_dropped_total", "", services.redis_bus->dropped());
    });
}

// A restart continues each symbol from its last stored minute, not from the walk's start
// prices: a jump back to them would fire stops and liquidations at prices the market had left.
void continue_stored_prices(market::SimulatedFeed& feed, const domain::SymbolCatalog& symbols,
                            ports::MarketStore& store, const std::shared_ptr<spdlog::logger>& log) {
    std::vector<ports::Tick> last;
    try {
        for (const auto& spec : symbols.all()) {
            const auto stored = store.candles(spec.name, market::Interval::k1m, std::nullopt, 1);
            if (!stored.empty()) {
                last.push_back({spec.name, stored.back().close, {}, stored.back().open_ms});
            }
        }
    } catch (const ports::StoreUnavailable& e) {
        log->warn(R"("msg":"stored prices not read","error":"{}")", e.what());
    }
    feed.follow(last);
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
        // One reader per thread that may read: network threads, workers, the commit thread,
        // the feed, funding and the checkpointer (a reader is always free).
        auto engine = open_store(config, limits.threads + limits.worker_threads + 4);
        auto& store = *engine;
        log->info(R"("msg":"store open","engine":"{}","location":"{}")", config.store.engine,
                  store.location());
        ports::SystemClock clock;
        if (config.store.auto_migrate) {
            for (const auto& applied : store.migrate(clock.now_ms())) {
                log->info(R"("msg":"migration applied","migration":"{}")", applied);
            }
        }
        // A build must not run on a schema it does not know: a newer migration may change what
        // rows mean, and an older schema lacks what this build writes.
        if (const int schema = store.schema_version(), known = store.known_schema_version();
            schema != known) {
            log->error(R"("msg":"{}","schema_version":{},"build_schema_version":{})",
                       schema > known
                           ? "the database's schema is newer than this build: run a build "
                             "at least as new as the one that migrated it"
                           : "the database's schema is older than this build: run `botcore "
                             "migrate` (or set store.auto_migrate)",
                       schema, known);
            return kExitUsage;
        }
        auth::RevocationList revocations;
        for (const auto& token : store.revoked_tokens(clock.now_ms())) {
            revocations.add(token.jti, token.expires_ms, clock.now_ms());
        }
        // A logout on another instance sharing the store is honoured here at once.
        store.watch_revocations([&revocations, &clock](const ports::RevokedToken& token) {
            revocations.add(token.jti, token.expires_ms, clock.now_ms());
        });
        auth::JwtCodec jwt(*secret);
        auth::AuthService auth(store, clock, revocations, jwt, auth_settings(config));

        ops::InstanceState instance;
        instance.instance_id = auth::random_token(6);
        const auto shared = shared_services(config.redis, instance.instance_id);
        instance.max_connections = config.server.max_connections;
        // WebSockets are upgraded HTTP connections and count against the same cap.
        instance.ws_limit = config.server.max_connections;
        ops::ProcessStats process;
        ops::MetricsRegistry metrics;
        market::PriceBook prices;
        const bool manual_prices = config.market.source == "manual";
        const auto stale_after_ms =
            std::max<std::int64_t>(5000, 10LL * config.market.tick_interval_ms);
        // The symbols traded and fed; what refers to them goes after them.
        auto listed = domain::SymbolCatalog::default_catalog().only(config.market.symbols);
        if (!listed) {
            log->error(R"("msg":"market.symbols","error":"{}")", listed.error());
            return kExitUsage;
        }
        const auto symbols = std::move(*listed);
        // A symbol left out of market.symbols gets no more prices: positions and orders still
        // held in it could never be closed, stopped or filled.
        std::vector<std::string> stranded;
        for (auto& symbol : store.held_symbols()) {
            if (symbols.find(symbol) == nullptr) {
                stranded.push_back(std::move(symbol));
            }
        }
        if (!stranded.empty()) {
            log->error(
                R"("msg":"market.symbols leaves out symbols with open positions or orders","symbols":"{}")",
                fmt::join(stranded, ","));
            return kExitUsage;
        }
        std::unique_ptr<ports::Feed> external_feed;  // replay or the live exchange stream
        api::OpsContext ops{
            instance,
            process,
            metrics,
            store,
            kVersion,
            [&prices, &clock, &external_feed, &symbols, manual_prices, stale_after_ms] {
                if (manual_prices) {
                    return std::string("manual");
                }
                if (external_feed) {
                    return std::string(ports::to_string(external_feed->health()));
                }
                // Every listed symbol: in a cluster one the leader does not tick is stale here.
                return std::string(
                    market::stale_symbols(prices, symbols.all(), clock.now_ms(), stale_after_ms)
                            .empty()
                        ? "ok"
                        : "stale");
            },
            shared.cache.get(),
            shared.bus.get()};
        api::Router router;
        api::add_ops_routes(router, ops);
        api::add_process_collectors(ops);
        api::add_auth_routes(router, auth);

        auto trading_config = trading_settings(config.trading);
        trading_config.symbols = &symbols;
        trading_config.read_from_store = config.store.engine == "postgres";
        trading_config.confirm_refusals = config.store.engine == "postgres";
        engine::TradingService trading(store, prices, clock, std::move(trading_config));
        // Instances sharing PostgreSQL split the background work (triggers, funding, bots) by
        // user shard; each shard is owned by one live instance, and taken over when it dies.
        std::optional<adapters::postgres::PgPartition> partition;
        if (config.store.engine == "postgres") {
            partition.emplace(config.postgres.url);
            trading.set_partition(*partition);
            partition->on_gained(
                [&trading](const std::vector<int>&) { trading.load_open_books(); });
            partition->start();
        }
        // The instance whose feed drives the cluster's prices (the only one, alone).
        const auto leads = [&partition] { return !partition || partition->leads_feed(); };
        ops::CapacityMonitor capacity(
            instance_limits(config, process, store), user_cost(config.capacity),
            scaling_policy(config.scaling), costs(config.capacity),
            {[&instance, &process, &store] {
                 ops::Usage usage;
                 usage.ws_connections = instance.ws_connections.load();
                 usage.cpu_percent = process.cpu_percent();
                 usage.memory_bytes = process.resident_bytes();
                 usage.db_connections = store.connections_active();
                 return usage;
             },
             // Users' requests: probes of the balancer and the monitoring are not load.
             [&metrics] {
                 return metrics.requests_total([](std::string_view route) {
                     return route != "/health" && route != "/metrics" &&
                            !route.starts_with("/api/capacity/");
                 });
             },
             [&partition] { return partition ? partition->members() : 1; },
             [&partition] {
                 return partition ? ops::MembershipChanges{partition->joined(), partition->left()}
                                  : ops::MembershipChanges{};
             },
             [&clock] { return clock.now_ms(); },
             [&log](const ops::MembershipChanges& changes, int instances) {
                 log->info(
                     R"("msg":"scaling event","instances_joined":{},"instances_left":{},"instances":{})",
                     changes.joined, changes.left, instances);
             }});
        api::add_capacity_routes(router, capacity, instance.instance_id);
        metrics.add_collector([&capacity](ops::PromWriter& out) {
            out.family("autoscaling_instances_added_total", "counter",
                       "Instances the cluster gained, as this instance saw them join.");
            const auto changes = capacity.membership_changes();
            out.sample("autoscaling_instances_added_total", "", changes.joined);
            out.family("autoscaling_instances_removed_total", "counter",
                       "Instances the cluster lost (stopped, drained or dead).");
            out.sample("autoscaling_instances_removed_total", "", changes.left);
            out.family("capacity_utilization", "gauge",
                       "Use of each resource against this instance's limit (0-1).");
            const auto report = capacity.current();
            for (const auto resource : ops::kResources) {
                out.sample(
                    "capacity_utilization",
                    ops::PromWriter::label("resource", ops::to_string(resource)),
                    report.capacity.resources[static_cast<std::size_t>(resource)].utilization());
            }
            out.family("capacity_max_users", "gauge",
                       "Users this instance can serve by the capacity formula.");
            out.sample("capacity_max_users", "", static_cast<double>(report.capacity.max_users));
            out.family("cluster_instances", "gauge", "Instances alive in the cluster.");
            out.sample("cluster_instances", "", static_cast<double>(report.instances));
        });
        const auto books = trading.load_open_books();
        log->info(R"("msg":"books loaded","open_books":{})", books);
        engine::BotService bots(trading);
        // Instances sharing the store tell each other which books they changed.
        store.watch_books([&trading, &bots](const std::string& user_id) {
            trading.refresh(user_id);
            bots.changed_elsewhere(user_id);
        });
        // Other instances build the same candles from the leader's ticks; one copy is stored.
        market::CandleBook candles(store, leads);
        net::HttpServer server(
            limits, router, metrics, instance, log, config.log.access,
            websocket_settings(config.server, symbols),
            net::TokenCheck{[&auth](std::string_view token) -> std::optional<net::TokenIdentity> {
                                auto identity = auth.authenticate_token(token);
                                if (!identity) {
                                    return std::nullopt;
                                }
                                return net::TokenIdentity{std::move(identity->user_id),
                                                          std::move(identity->jti),
                                                          identity->expires_s};
                            },
                            [&auth](std::string_view jti, std::int64_t expires_s) {
                                return auth.token_holds(jti, expires_s);
                            }});
        if (shared.cache) {
            server.hub().share_user_slots(*shared.cache, instance.instance_id);
        }
        engine::AnalysisService analysis(candles);
        api::add_analysis_routes(router, {auth, analysis, store, clock, symbols});
        const auto apply_bot = [&bots, &log](const ports::StoredBot& stored) {
            auto settings = api::parse_bot_settings(stored.settings_json, analysis::defaults());
            if (!settings) {
                log->error(R"("msg":"bot settings ignored","user":"{}","error":"{}")",
                           stored.user_id, settings.error().message);
                return;
            }
            bots.set(stored.user_id, std::move(*settings), stored.updated_ms);
        };
        // "" reads every user's settings: once when the watch begins (how they are loaded at
        // start), and again after saves of other instances may have gone unheard. Settings
        // saved through another instance reach this one's bots at once.
        store.watch_bots([&store, &log, apply_bot](const std::string& user_id) {
            if (user_id.empty()) {
                // Unreadable, it throws: at start the instance does not start without its bots,
                // and a listener that reconnected reconnects again and reads them then.
                for (const auto& stored : store.all_bots()) {
                    apply_bot(stored);
                }
                return;
            }
            try {
                if (const auto stored = store.find_bot(user_id)) {
                    apply_bot(*stored);
                }
            } catch (const ports::StoreUnavailable& e) {
                log->warn(R"("msg":"bot settings not reloaded","user":"{}","error":"{}")", user_id,
                          e.what());
            }
        });
        api::add_bot_routes(router, {auth, bots, store, clock, symbols});
        MarketPipeline pipeline(candles, trading, analysis, bots, server.hub(), store, *shared.bus);
        trading.set_event_sink(pipeline.user_events());
        // The bus's reader thread calls into the pipeline: it stops before the pipeline goes,
        // on every way out of this scope.
        const BusRun bus_run(shared.redis_bus);
        std::function<void(ports::Tick, std::function<void()>)> manual_tick;
        if (manual_prices) {
            manual_tick = [&pipeline](ports::Tick tick, std::function<void()> done) {
                pipeline.on_tick(tick, std::move(done));
            };
        }
        api::UserRateLimit order_limit("orders", config.trading.orders_per_minute,
                                       shared.cache.get(), clock);
        api::add_trading_routes(router, {auth, trading, store, prices, candles, manual_tick,
                                         order_limit, shared.cache.get()});
        add_trading_collectors(metrics, trading, store);
        add_websocket_collectors(metrics, server);
        add_shared_service_collectors(metrics, shared);
        metrics.add_collector([&bots](ops::PromWriter& out) {
            out.family("bots_enabled", "gauge", "Users whose strategy bot is enabled here.");
            out.sample("bots_enabled", "", static_cast<double>(bots.enabled_count()));
            const auto& stats = bots.stats();
            out.family("bot_evaluations_total", "counter",
                       "Bot decisions made on closed candles (one per enabled bot and close).");
            out.sample("bot_evaluations_total", "", static_cast<double>(stats.evaluations));
            out.family("bot_orders_total", "counter",
                       "Orders bots sent: opening a position, or closing one they opened.");
            out.sample("bot_orders_total", ops::PromWriter::label("kind", "open"),
                       static_cast<double>(stats.orders));
            out.sample("bot_orders_total", ops::PromWriter::label("kind", "close"),
                       static_cast<double>(stats.closes));
            out.family(
                "bot_orders_rejected_total", "counter",
                "Bot orders the trading engine refused (margin, limits, a closed position).");
            out.sample("bot_orders_rejected_total", "", static_cast<double>(stats.rejected));
        });
        if (!manual_prices) {
            metrics.add_collector([&prices, &clock, &symbols,
                                   stale_after_ms](ops::PromWriter& out) {
                out.family("market_symbols_stale", "gauge",
                           "Listed symbols without a price in the last stale-after window "
                           "(a stopped feed, or symbols the cluster's feed leader does not tick).");
                out.sample("market_symbols_stale", "",
                           static_cast<double>(market::stale_symbols(prices, symbols.all(),
                                                                     clock.now_ms(), stale_after_ms)
                                                   .size()));
            });
        }
        metrics.add_collector([&candles](ops::PromWriter& out) {
            out.family("candles_save_failed_total", "counter",
                       "Closed candles the store failed to save (missing from the history).");
            out.sample("candles_save_failed_total", "",
                       static_cast<double>(candles.failed_saves()));
        });
        // Ticks of the feed leader for symbols this instance does not list.
        std::atomic<std::uint64_t> unlisted_ticks{0};
        if (partition) {
            metrics.add_collector([&partition, &unlisted_ticks](ops::PromWriter& out) {
                out.family("cluster_shards_owned", "gauge",
                           "User shards whose background work this instance does.");
                out.sample("cluster_shards_owned", "",
                           static_cast<double>(partition->owned_count()));
                out.family("cluster_feed_leader", "gauge",
                           "1 when this instance's feed drives the cluster's prices.");
                out.sample("cluster_feed_leader", "", partition->leads_feed() ? 1.0 : 0.0);
                out.family("cluster_ticks_unlisted_total", "counter",
                           "Feed leader's ticks for symbols not in this instance's "
                           "market.symbols (instances should list the same).");
                out.sample("cluster_ticks_unlisted_total", "",
                           static_cast<double>(unlisted_ticks.load(std::memory_order_relaxed)));
            });
        }
        // With instances sharing the store, the instance leading the feed drives every
        // instance's prices: its ticks go to its own pipeline and, through the store, to the
        // others'. The others' feeds run idle, ready for when one of them takes the lead.
        // Ticks go through PostgreSQL, not the Redis bus: the cluster cannot run without the
        // store anyway, whereas an instance left without ticks while Redis is away would fill
        // orders at stale prices.
        auto* tick_bus = partition ? store.tick_bus() : nullptr;
        const auto feed_ticks = [&pipeline, &log, tick_bus,
                                 leads](std::span<const ports::Tick> ticks) {
            if (!leads()) {
                return;
            }
            pipeline.on_ticks(ticks);
            if (tick_bus != nullptr) {
                try {
                    tick_bus->publish(ticks);
                } catch (const ports::StoreUnavailable& e) {
                    log->warn(R"("msg":"ticks not shared","error":"{}")", e.what());
                }
            }
        };
        std::optional<market::SimulatedFeed> feed;
        if (config.market.source == "replay" || config.market.source == "binance") {
            auto made = make_external_feed(config.market, symbols, clock, log);
            if (!made) {
                log->error(R"("msg":"market feed","error":"{}")", made.error());
                return kExitUsage;
            }
            external_feed = std::move(*made);
        } else if (!manual_prices) {
            // Every symbol trades about this much quote value per second (the volume strategy
            // reads its changes, not its level).
            constexpr double kTurnoverUsdtPerSecond = 10'000;
            feed.emplace(market::RandomWalk(
                             static_cast<std::uint64_t>(config.market.seed), symbols,
                             market::RandomWalk::step_volatility(
                                 config.market.volatility_bp / 10'000.0,
                                 std::chrono::milliseconds(config.market.tick_interval_ms)),
                             kTurnoverUsdtPerSecond * config.market.tick_interval_ms / 1000.0),
                         std::chrono::milliseconds(config.market.tick_interval_ms),
                         [&feed_ticks](std::span<const ports::Tick> ticks) { feed_ticks(ticks); });
            continue_stored_prices(*feed, symbols, store, log);
        }
        // Whichever way this scope ends, no tick reaches the feed or the pipeline once they go.
        struct TickWatch {
            ports::TickBus* bus;
            ~TickWatch() {
                if (bus != nullptr) {
                    bus->watch({});
                }
            }
        } tick_watch{tick_bus};
        // Likewise the external feed (made before the pipeline it feeds) stops before the
        // pipeline goes, also when this scope is left by an exception.
        struct FeedStop {
            std::unique_ptr<ports::Feed>& feed;
            ~FeedStop() {
                if (feed) {
                    feed->stop();
                }
            }
        } feed_stop{external_feed};
        if (tick_bus != nullptr) {
            tick_bus->watch([&pipeline, &feed, &symbols, &log, &unlisted_ticks, leads,
                             warned = std::set<std::string, std::less<>>()](
                                std::span<const ports::Tick> ticks) mutable {
                if (!leads()) {
                    // Only what this instance trades. Instances are meant to list the same
                    // symbols: each symbol the leader ticks beyond this list is logged once.
                    std::vector<ports::Tick> traded;
                    traded.reserve(ticks.size());
                    for (const auto& tick : ticks) {
                        if (symbols.find(tick.symbol) != nullptr) {
                            traded.push_back(tick);
                        } else {
                            unlisted_ticks.fetch_add(1, std::memory_order_relaxed);
                            if (warned.insert(tick.symbol).second) {
                                log->warn(
                                    R"("msg":"the feed leader ticks a symbol not in market.symbols here","symbol":"{}")",
                                    tick.symbol);
                            }
                        }
                    }
                    pipeline.on_ticks(traded);
                    // A standing-by simulator keeps to the leader's path, so a takeover
                    // continues the prices instead of jumping to another walk.
                    if (feed) {
                        feed->follow(ticks);
                    }
                }
            });
        }

        auto bound = server.bind(config.server.listen);
        if (!bound) {
            log->error(R"("msg":"{}")", bound.error());
            return kExitRuntime;
        }
        log->info(R"("msg":"listening","address":"{}","instance":"{}","version":"{}")", *bound,
                  instance.instance_id, kVersion);
        if (feed) {
            feed->start();
        }
        if (external_feed) {
            external_feed->start(
                [&feed_ticks](const ports::Tick& tick) { feed_ticks(std::span(&tick, 1)); },
                [&pipeline, leads](std::int64_t ts_ms) {
                    if (leads()) {
                        pipeline.close_candles(ts_ms);
                    }
                });
        }
        // Funding is due once per 8-hour period; checking every minute charges each position
        // within a minute of the period starting.
        const auto job_failed = [&log](std::string_view job) {
            return [&log, job](std::string_view what) {
                log->warn(R"("msg":"job failed","job":"{}","error":"{}")", job, what);
            };
        };
        ops::PeriodicTask funding(
            std::chrono::minutes(1), [&trading] { trading.charge_funding(); },
            job_failed("funding"));
        funding.start();
        // Retention: market data is kept 7 days.
        ops::PeriodicTask retention(
            std::chrono::hours(1),
            [&store, &clock, &log] {
                const auto deleted =
                    store.delete_candles_before(clock.now_ms() - 7LL * 24 * 3600 * 1000);
                log->info(R"("msg":"retention","market_data_deleted":{})", deleted);
            },
            job_failed("retention"));
        retention.start();
        // The scaling policy's windows are minutes long: a sample every 5 s is plenty.
        ops::PeriodicTask capacity_sampler(
            std::chrono::seconds(5), [&capacity] { capacity.sample(); }, job_failed("capacity"));
        capacity.sample();
        capacity_sampler.start();
        // A simulated or live feed's time is the clock's: a candle closes on time even when
        // its symbol, or the whole feed, goes quiet. (A replay's time is its data's, and manual
        // prices may carry any time.) Only the feed's leader: the others close candles with
        // the leader's ticks, which may reach them late.
        std::optional<ops::PeriodicTask> candle_clock;
        if (config.market.source == "simulator" || config.market.source == "binance") {
            candle_clock.emplace(
                std::chrono::seconds(1),
                [&pipeline, &clock, leads] {
                    if (leads()) {
                        pipeline.close_candles_on_clock(clock.now_ms());
                    }
                },
                job_failed("candle clock"));
            candle_clock->start();
        }
        std::printf("listening on http://%s\n", bound->c_str());
        std::fflush(stdout);
        server.run();
        // Stop producing work, then let every acknowledged-to-be write reach the disk before
        // the server (whose threads the answers are posted to) goes away.
        if (candle_clock) {
            candle_clock->stop();
        }
        capacity_sampler.stop();
        retention.stop();
        funding.stop();
        if (feed) {
            feed->stop();
        }
        if (external_feed) {
            external_feed->stop();
        }
        store.flush();
        // No more announcements into objects about to go.
        store.watch_books({});
        store.watch_revocations({});
        store.watch_bots({});
        return kExitOk;
    } catch (const ports::StoreUnavailable& e) {
        log->error(R"("msg":"store unavailable","error":"{}")", e.what());
        return kExitRuntime;
    }
}

int run_migrate(const Config& config) {
    try {
        auto store = open_store(config, 1);
        ports::SystemClock clock;
        const auto applied = store->migrate(clock.now_ms());
        for (const auto& migration : applied) {
            std::printf("applied %s\n", migration.c_str());
        }
        std::printf("schema version %d (%s)\n", store->schema_version(), store->location().c_str());
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
