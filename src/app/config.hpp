// Effective configuration: built-in defaults, then the TOML file, then BOTCORE_* environment
// variables, then command-line flags. Every key is declared once in config.cpp's schema.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace botcore {

struct ServerConfig {
    std::string listen = "127.0.0.1:8080";
    int threads = 0;  // 0: one per core
    int worker_threads = 4;
    int max_connections = 15000;
    std::int64_t body_limit_bytes = 1 << 20;
    int request_timeout_seconds = 30;
    int idle_timeout_seconds = 60;
    int drain_grace_seconds = 2;
    int shutdown_timeout_seconds = 15;
    int ws_max_per_user = 5;
    int ws_send_queue_messages = 256;
    int ws_messages_per_minute = 100;
    int ws_ping_interval_seconds = 30;
    int ws_idle_timeout_seconds = 300;
    // Load balancers whose X-Forwarded-For is believed (addresses and CIDR networks,
    // comma-separated); empty: the peer's address is the client's.
    std::string trusted_proxies;
};

struct StoreConfig {
    std::string engine = "sqlite";
    std::string data_dir = "./data";
    bool auto_migrate = true;
};

// store.engine = "postgres": the shared database of every instance.
struct PostgresConfig {
    std::string url = "postgresql://botcore:botcore@127.0.0.1:5432/botcore";  // the primary
    // PgBouncer in transaction mode in front of the primary: pooled connections go through it,
    // unprepared; LISTEN and advisory-lock sessions still use url. Empty: none.
    std::string pooler_url;
    std::string replica_urls;  // comma-separated streaming replicas for reads; empty: none
    int pool_min = 10;
    int pool_max = 100;
    int pool_idle_seconds = 60;
    int pool_acquire_timeout_ms = 10000;  // then the request gets 503
    int max_replica_lag_ms = 5000;        // a replica further behind is not read from
    // Group-commit connections: a user's writes always take the same one, and the commits of
    // different users overlap.
    int committers = 1;
    // Read preference (primary | primaryPreferred | secondary | secondaryPreferred) of trade
    // history and performance, and of market analytics (candles, signals). Balances, positions
    // and orders are always read from the primary.
    std::string read_history = "secondaryPreferred";
    std::string read_analytics = "secondaryPreferred";
};

// The cache and event bus shared by the instances of a cluster; empty url: none (one instance).
struct RedisConfig {
    std::string url;                  // redis://[:password@]host[:port][/database]
    std::string prefix = "botcore:";  // before every key, so clusters can share a server
    int timeout_ms = 200;             // a slower answer counts as Redis being away
    int stream_max_length = 100000;   // entries kept per event stream
};

struct AuthConfig {
    std::string jwt_secret;  // empty: generated on first start into data_dir/jwt_secret
    int access_ttl_seconds = 86400;
    int refresh_ttl_seconds = 7 * 86400;
    int password_min_length = 12;
    int lockout_failures = 5;
    int lockout_window_seconds = 900;
    int lockout_seconds = 900;
    int password_hash_ops = 2;             // Argon2id passes (libsodium "interactive")
    int password_hash_memory_kib = 65536;  // Argon2id memory
};

struct AccountConfig {
    std::string initial_balance = "10000";  // USDT, decimal string
};

struct MarketConfig {
    // simulator | replay (recorded Binance klines) | binance (live kline stream) | manual
    // (prices set through the API)
    std::string source = "simulator";
    // The symbols traded, fed and listed: comma-separated names of the catalog's; empty: all 20.
    std::string symbols;
    int tick_interval_ms = 1000;  // simulator: one step of every symbol per interval
    int seed = 42;                // simulator: the same seed replays the same prices
    // simulator: standard deviation of the relative move over one second, basis points (a step
    // of tick_interval_ms moves by this times sqrt(interval in seconds), so the tick rate does
    // not change how much the market moves in an hour)
    int volatility_bp = 5;
    std::string replay_path;   // replay: a kline CSV file or a directory of them
    int replay_speed = 60;     // replay: 1 = as recorded, 60 = a minute per second, 0 = flat out
    bool replay_loop = false;  // replay: start over at the end
    std::string binance_url = "wss://stream.binance.com:9443";  // binance: stream endpoint
    std::string binance_interval = "1m";                        // binance: kline interval
};

struct TradingConfig {
    int slippage_base_bp = 1;      // against a market taker, before size impact
    int slippage_bp_per_100k = 1;  // more per 100,000 USDT of notional
    int slippage_max_bp = 50;
    int funding_rate_ppm = 100;    // per 8 hours, parts per million of notional (100 = 0.01%)
    int orders_per_minute = 1200;  // per user, across the cluster with Redis; 0: no limit
};

struct ScalingConfig {
    int min_instances = 2;
    int max_instances = 10;
    int target_cpu_percent = 70;
    int target_memory_percent = 80;
    int scale_up_cooldown_seconds = 300;
    int scale_down_cooldown_seconds = 900;
};

// The capacity model's inputs (GET /api/capacity/*): what one instance is rated for and what
// one user costs, measured in docs/BENCHMARKS.md, and what the platform costs to run.
struct CapacityConfig {
    int http_requests_per_second = 20000;  // one instance's rated request rate
    int memory_limit_mb = 0;               // 0: the machine's memory (or its cgroup limit)
    int baseline_memory_mb = 64;           // an instance's memory with no user
    int memory_per_user_kb = 16;
    int cpu_us_per_user = 110;           // CPU time per user and second, microseconds
    int requests_per_user_hour = 36;     // HTTP requests
    int db_queries_per_user_minute = 8;  // store queries
    int instance_month_usd = 50;
    int database_month_usd = 600;  // the database tier (primary and replicas)
    int balancer_month_usd = 20;
    int target_usd_per_1000_users = 10;  // monthly cost target
};

struct LogConfig {
    std::string level = "info";   // trace|debug|info|warn|error|off
    std::string format = "json";  // json|text
    bool access = true;           // one line per HTTP request
};

struct Config {
    ServerConfig server;
    StoreConfig store;
    PostgresConfig postgres;
    RedisConfig redis;
    AuthConfig auth;
    AccountConfig account;
    MarketConfig market;
    TradingConfig trading;
    ScalingConfig scaling;
    CapacityConfig capacity;
    LogConfig log;
};

enum class ConfigSource { kDefault, kFile, kEnvironment, kFlag };
std::string_view to_string(ConfigSource source);

// One effective key for `botcore config check`: dotted key, printable value (secrets
// redacted) and where it came from.
struct ConfigEntry {
    std::string key;
    std::string value;
    ConfigSource source;
};

struct ConfigError {
    std::string key;      // dotted key ("scaling.min_instances"), empty when not about one key
    std::string message;  // names the key, the value and what is allowed
};

struct LoadedConfig {
    Config config;
    std::vector<ConfigEntry> entries;  // sorted by key
};

// Flags given on the command line, as dotted key -> raw text ("server.listen" -> "0.0.0.0:9").
using ConfigOverrides = std::map<std::string, std::string>;

// Environment lookup is injected so tests need not touch the process environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
std::optional<std::string> process_env(std::string_view name);

std::expected<LoadedConfig, ConfigError> load_config(const std::optional<std::string>& file_path,
                                                     const ConfigOverrides& flags,
                                                     EnvLookup env = process_env);

// Same, from TOML text already in memory (tests; file_path only names it in messages).
std::expected<LoadedConfig, ConfigError> load_config_text(std::string_view toml_text,
                                                          const ConfigOverrides& flags,
                                                          EnvLookup env);

}  // namespace botcore
