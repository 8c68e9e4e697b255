#include "app/config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <sstream>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include "adapters/redis/redis_connection.hpp"
#include "domain/symbol.hpp"
#include "domain/text_list.hpp"
#include "net/trusted_proxies.hpp"

#include <toml++/toml.h>

namespace botcore {

namespace {

enum class Kind { kInt, kBool, kString };

// Where a key lives in Config. int and std::int64_t fields are both Kind::kInt.
using Field = std::variant<int* (*)(Config&), std::int64_t* (*)(Config&), bool* (*)(Config&),
                           std::string* (*)(Config&)>;

template <class Accessor>
using FieldType = std::remove_pointer_t<std::invoke_result_t<Accessor, Config&>>;

template <auto Section, auto Member>
constexpr auto member() {
    return +[](Config& config) { return &(config.*Section.*Member); };
}

// Returns why `value` is rejected ("is not ..."), nothing when it is accepted.
using StringCheck = std::optional<std::string> (*)(std::string_view value);

struct KeySpec {
    std::string_view key;  // "section.name"
    Field field;
    std::int64_t min = 0;  // kInt only
    std::int64_t max = 0;
    std::span<const std::string_view> allowed = {};  // kString; empty: any
    StringCheck check = nullptr;                     // kString
    bool secret = false;
};

constexpr KeySpec integer(std::string_view key, Field field, std::int64_t min, std::int64_t max) {
    return {.key = key, .field = field, .min = min, .max = max};
}

constexpr KeySpec boolean(std::string_view key, Field field) {
    return {.key = key, .field = field};
}

constexpr KeySpec one_of(std::string_view key, Field field,
                         std::span<const std::string_view> allowed) {
    return {.key = key, .field = field, .allowed = allowed};
}

constexpr KeySpec text(std::string_view key, Field field, StringCheck check, bool secret = false) {
    return {.key = key, .field = field, .check = check, .secret = secret};
}

constexpr bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

constexpr bool all_digits(std::string_view s) {
    return !s.empty() && std::ranges::all_of(s, is_digit);
}

// Strict: the whole text must be the number (no spaces, no '+').
std::expected<std::int64_t, std::errc> parse_int(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{}) {
        return std::unexpected(ec);
    }
    if (end != text.data() + text.size()) {
        return std::unexpected(std::errc::invalid_argument);
    }
    return value;
}

std::optional<std::string> check_listen(std::string_view value) {
    const std::optional<std::string> rejected =
        "is not HOST:PORT (non-empty host, port 0-65535, IPv6 as [::1]:8080)";
    std::string_view host;
    std::string_view port;
    if (value.starts_with('[')) {
        const auto close = value.find(']');
        if (close == std::string_view::npos || value.substr(close + 1, 1) != ":") {
            return rejected;
        }
        host = value.substr(1, close - 1);
        port = value.substr(close + 2);
    } else {
        // A second ':' lands in the port and fails there: bare IPv6 must be bracketed.
        const auto colon = value.find(':');
        if (colon == std::string_view::npos) {
            return rejected;
        }
        host = value.substr(0, colon);
        port = value.substr(colon + 1);
    }
    const bool host_ok =
        !host.empty() && std::ranges::none_of(host, [](char c) { return c == ' ' || c == '\t'; });
    const auto port_number = parse_int(port);
    if (!host_ok || !all_digits(port) || !port_number || *port_number > 65535) {
        return rejected;
    }
    return std::nullopt;
}

std::optional<std::string> check_non_empty(std::string_view value) {
    if (value.empty()) {
        return "must not be empty";
    }
    return std::nullopt;
}

std::optional<std::string> check_stream_url(std::string_view value) {
    if (!value.starts_with("ws://") && !value.starts_with("wss://")) {
        return "must be a ws:// or wss:// URL";
    }
    return std::nullopt;
}

std::optional<std::string> check_postgres_url(std::string_view value) {
    if (!value.starts_with("postgresql://") && !value.starts_with("postgres://")) {
        return "is not a postgresql:// URL";
    }
    return std::nullopt;
}

// Comma-separated URLs, or empty (empty items are left out, as the store does).
std::optional<std::string> check_postgres_urls(std::string_view value) {
    for (const auto url : domain::split_list(value)) {
        if (auto error = url.empty() ? std::nullopt : check_postgres_url(url)) {
            return error;
        }
    }
    return std::nullopt;
}

std::optional<std::string> check_optional_postgres_url(std::string_view value) {
    return value.empty() ? std::nullopt : check_postgres_url(value);
}

// Empty (no Redis), or a URL the Redis adapter accepts.
std::optional<std::string> check_redis_url(std::string_view value) {
    if (value.empty()) {
        return std::nullopt;
    }
    if (auto parsed = adapters::redis::parse_redis_url(value); !parsed) {
        return "is not a valid Redis URL: " + parsed.error();
    }
    return std::nullopt;
}

std::optional<std::string> check_trusted_proxies(std::string_view value) {
    if (auto parsed = net::TrustedProxies::parse(value); !parsed) {
        return "is not a list of addresses and networks: " + parsed.error();
    }
    return std::nullopt;
}

std::optional<std::string> check_symbols(std::string_view value) {
    if (auto chosen = domain::SymbolCatalog::default_catalog().only(value); !chosen) {
        return "is not a list of the catalog's symbols: " + chosen.error();
    }
    return std::nullopt;
}

std::optional<std::string> check_any(std::string_view) {
    return std::nullopt;
}

std::optional<std::string> check_jwt_secret(std::string_view value) {
    if (!value.empty() && value.size() < 32) {
        return "is too short: a secret must be at least 32 characters (or empty to generate one)";
    }
    return std::nullopt;
}

std::optional<std::string> check_balance(std::string_view value) {
    const std::optional<std::string> rejected =
        "is not a decimal amount > 0 and <= 1000000000 with at most 8 fractional digits "
        "(digits and one optional '.', no sign or exponent)";
    const auto dot = value.find('.');
    auto whole = value.substr(0, dot);
    const auto fraction =
        dot == std::string_view::npos ? std::string_view{} : value.substr(dot + 1);
    if (!all_digits(whole) || (dot != std::string_view::npos && !all_digits(fraction)) ||
        fraction.size() > 8) {
        return rejected;
    }
    // Compare as digit strings so no amount is ever rounded through a double.
    whole.remove_prefix(std::min(whole.find_first_not_of('0'), whole.size()));
    const bool fraction_is_zero = fraction.find_first_not_of('0') == std::string_view::npos;
    constexpr std::string_view kMax = "1000000000";
    const bool is_zero = whole.empty() && fraction_is_zero;
    const bool above_max =
        whole.size() > kMax.size() ||
        (whole.size() == kMax.size() && (whole > kMax || (whole == kMax && !fraction_is_zero)));
    if (is_zero || above_max) {
        return rejected;
    }
    return std::nullopt;
}

constexpr std::array<std::string_view, 2> kEngines = {"sqlite", "postgres"};
constexpr std::array<std::string_view, 4> kReadPreferences = {"primary", "primaryPreferred",
                                                              "secondary", "secondaryPreferred"};
constexpr std::array<std::string_view, 4> kMarketSources = {"simulator", "replay", "binance",
                                                            "manual"};
constexpr std::array<std::string_view, 4> kKlineIntervals = {"1m", "5m", "15m", "1h"};
constexpr std::array<std::string_view, 6> kLogLevels = {"trace", "debug", "info",
                                                        "warn",  "error", "off"};
constexpr std::array<std::string_view, 2> kLogFormats = {"json", "text"};

using C = Config;
using Server = ServerConfig;
using Store = StoreConfig;
using Auth = AuthConfig;
using Postgres = PostgresConfig;
using Redis = RedisConfig;
using Scaling = ScalingConfig;
using Capacity = CapacityConfig;
using Market = MarketConfig;
using Trading = TradingConfig;

// Every configuration key, once. Parsing, validation and the entries listing are driven from here.
constexpr auto kSchema = std::to_array<KeySpec>({
    text("server.listen", member<&C::server, &Server::listen>(), check_listen),
    integer("server.threads", member<&C::server, &Server::threads>(), 0, 256),
    integer("server.worker_threads", member<&C::server, &Server::worker_threads>(), 1, 256),
    integer("server.max_connections", member<&C::server, &Server::max_connections>(), 1, 1000000),
    integer("server.body_limit_bytes", member<&C::server, &Server::body_limit_bytes>(), 1024,
            1073741824),
    integer("server.request_timeout_seconds",
            member<&C::server, &Server::request_timeout_seconds>(), 1, 300),
    integer("server.idle_timeout_seconds", member<&C::server, &Server::idle_timeout_seconds>(), 1,
            3600),
    integer("server.drain_grace_seconds", member<&C::server, &Server::drain_grace_seconds>(), 0,
            120),
    integer("server.shutdown_timeout_seconds",
            member<&C::server, &Server::shutdown_timeout_seconds>(), 1, 300),
    integer("server.ws_max_per_user", member<&C::server, &Server::ws_max_per_user>(), 1, 100),
    integer("server.ws_send_queue_messages", member<&C::server, &Server::ws_send_queue_messages>(),
            8, 65536),
    integer("server.ws_messages_per_minute", member<&C::server, &Server::ws_messages_per_minute>(),
            1, 100000),
    integer("server.ws_ping_interval_seconds",
            member<&C::server, &Server::ws_ping_interval_seconds>(), 1, 3600),
    integer("server.ws_idle_timeout_seconds",
            member<&C::server, &Server::ws_idle_timeout_seconds>(), 1, 86400),
    text("server.trusted_proxies", member<&C::server, &Server::trusted_proxies>(),
         check_trusted_proxies),

    one_of("store.engine", member<&C::store, &Store::engine>(), kEngines),
    text("store.data_dir", member<&C::store, &Store::data_dir>(), check_non_empty),
    boolean("store.auto_migrate", member<&C::store, &Store::auto_migrate>()),

    text("postgres.url", member<&C::postgres, &Postgres::url>(), check_postgres_url,
         /*secret=*/true),
    text("postgres.pooler_url", member<&C::postgres, &Postgres::pooler_url>(),
         check_optional_postgres_url, /*secret=*/true),
    text("postgres.replica_urls", member<&C::postgres, &Postgres::replica_urls>(),
         check_postgres_urls, /*secret=*/true),
    integer("postgres.pool_min", member<&C::postgres, &Postgres::pool_min>(), 0, 1000),
    integer("postgres.pool_max", member<&C::postgres, &Postgres::pool_max>(), 1, 1000),
    integer("postgres.pool_idle_seconds", member<&C::postgres, &Postgres::pool_idle_seconds>(), 1,
            86400),
    integer("postgres.pool_acquire_timeout_ms",
            member<&C::postgres, &Postgres::pool_acquire_timeout_ms>(), 1, 600000),
    integer("postgres.committers", member<&C::postgres, &Postgres::committers>(), 1, 16),
    integer("postgres.max_replica_lag_ms", member<&C::postgres, &Postgres::max_replica_lag_ms>(), 0,
            3600000),
    one_of("postgres.read_history", member<&C::postgres, &Postgres::read_history>(),
           kReadPreferences),
    one_of("postgres.read_analytics", member<&C::postgres, &Postgres::read_analytics>(),
           kReadPreferences),

    text("redis.url", member<&C::redis, &Redis::url>(), check_redis_url, /*secret=*/true),
    text("redis.prefix", member<&C::redis, &Redis::prefix>(), check_non_empty),
    integer("redis.timeout_ms", member<&C::redis, &Redis::timeout_ms>(), 10, 60000),
    integer("redis.stream_max_length", member<&C::redis, &Redis::stream_max_length>(), 100,
            100000000),

    text("auth.jwt_secret", member<&C::auth, &Auth::jwt_secret>(), check_jwt_secret,
         /*secret=*/true),
    integer("auth.access_ttl_seconds", member<&C::auth, &Auth::access_ttl_seconds>(), 60, 2592000),
    integer("auth.refresh_ttl_seconds", member<&C::auth, &Auth::refresh_ttl_seconds>(), 60,
            31536000),
    integer("auth.password_min_length", member<&C::auth, &Auth::password_min_length>(), 8, 128),
    integer("auth.lockout_failures", member<&C::auth, &Auth::lockout_failures>(), 1, 100),
    integer("auth.lockout_window_seconds", member<&C::auth, &Auth::lockout_window_seconds>(), 1,
            86400),
    integer("auth.lockout_seconds", member<&C::auth, &Auth::lockout_seconds>(), 1, 86400),
    integer("auth.password_hash_ops", member<&C::auth, &Auth::password_hash_ops>(), 1, 10),
    integer("auth.password_hash_memory_kib", member<&C::auth, &Auth::password_hash_memory_kib>(), 8,
            4194304),

    text("account.initial_balance", member<&C::account, &AccountConfig::initial_balance>(),
         check_balance),

    one_of("market.source", member<&C::market, &Market::source>(), kMarketSources),
    text("market.symbols", member<&C::market, &Market::symbols>(), check_symbols),
    integer("market.tick_interval_ms", member<&C::market, &Market::tick_interval_ms>(), 10, 60000),
    integer("market.seed", member<&C::market, &Market::seed>(), 0, 2147483647),
    integer("market.volatility_bp", member<&C::market, &Market::volatility_bp>(), 0, 1000),
    text("market.replay_path", member<&C::market, &Market::replay_path>(), check_any),
    integer("market.replay_speed", member<&C::market, &Market::replay_speed>(), 0, 1000000),
    boolean("market.replay_loop", member<&C::market, &Market::replay_loop>()),
    text("market.binance_url", member<&C::market, &Market::binance_url>(), check_stream_url),
    one_of("market.binance_interval", member<&C::market, &Market::binance_interval>(),
           kKlineIntervals),

    integer("trading.slippage_base_bp", member<&C::trading, &Trading::slippage_base_bp>(), 0, 100),
    integer("trading.slippage_bp_per_100k", member<&C::trading, &Trading::slippage_bp_per_100k>(),
            0, 100),
    integer("trading.slippage_max_bp", member<&C::trading, &Trading::slippage_max_bp>(), 0, 1000),
    integer("trading.funding_rate_ppm", member<&C::trading, &Trading::funding_rate_ppm>(), -10000,
            10000),
    integer("trading.orders_per_minute", member<&C::trading, &Trading::orders_per_minute>(), 0,
            1000000),

    integer("scaling.min_instances", member<&C::scaling, &Scaling::min_instances>(), 1, 100),
    integer("scaling.max_instances", member<&C::scaling, &Scaling::max_instances>(), 2, 1000),
    integer("scaling.target_cpu_percent", member<&C::scaling, &Scaling::target_cpu_percent>(), 50,
            90),
    integer("scaling.target_memory_percent", member<&C::scaling, &Scaling::target_memory_percent>(),
            60, 90),
    integer("scaling.scale_up_cooldown_seconds",
            member<&C::scaling, &Scaling::scale_up_cooldown_seconds>(), 60, 600),
    integer("scaling.scale_down_cooldown_seconds",
            member<&C::scaling, &Scaling::scale_down_cooldown_seconds>(), 300, 1800),

    integer("capacity.http_requests_per_second",
            member<&C::capacity, &Capacity::http_requests_per_second>(), 1, 10000000),
    integer("capacity.memory_limit_mb", member<&C::capacity, &Capacity::memory_limit_mb>(), 0,
            100000000),
    integer("capacity.baseline_memory_mb", member<&C::capacity, &Capacity::baseline_memory_mb>(), 0,
            1000000),
    integer("capacity.memory_per_user_kb", member<&C::capacity, &Capacity::memory_per_user_kb>(), 1,
            1000000),
    integer("capacity.cpu_us_per_user", member<&C::capacity, &Capacity::cpu_us_per_user>(), 1,
            1000000),
    integer("capacity.requests_per_user_hour",
            member<&C::capacity, &Capacity::requests_per_user_hour>(), 0, 1000000),
    integer("capacity.db_queries_per_user_minute",
            member<&C::capacity, &Capacity::db_queries_per_user_minute>(), 0, 1000000),
    integer("capacity.instance_month_usd", member<&C::capacity, &Capacity::instance_month_usd>(), 0,
            1000000),
    integer("capacity.database_month_usd", member<&C::capacity, &Capacity::database_month_usd>(), 0,
            1000000),
    integer("capacity.balancer_month_usd", member<&C::capacity, &Capacity::balancer_month_usd>(), 0,
            1000000),
    integer("capacity.target_usd_per_1000_users",
            member<&C::capacity, &Capacity::target_usd_per_1000_users>(), 0, 1000000),

    one_of("log.level", member<&C::log, &LogConfig::level>(), kLogLevels),
    one_of("log.format", member<&C::log, &LogConfig::format>(), kLogFormats),
    boolean("log.access", member<&C::log, &LogConfig::access>()),
});

constexpr bool schema_is_consistent() {
    for (std::size_t i = 0; i < kSchema.size(); ++i) {
        const auto& spec = kSchema[i];
        const auto dot = spec.key.find('.');
        if (dot == std::string_view::npos || dot == 0 || dot + 1 == spec.key.size() ||
            spec.key.find('.', dot + 1) != std::string_view::npos) {
            return false;
        }
        for (std::size_t j = i + 1; j < kSchema.size(); ++j) {
            if (kSchema[j].key == spec.key) {
                return false;
            }
        }
        // Values are range-checked as int64 before being narrowed into an int field.
        if (std::holds_alternative<int* (*)(Config&)>(spec.field) &&
            (spec.min < INT_MIN || spec.max > INT_MAX || spec.min > spec.max)) {
            return false;
        }
    }
    return true;
}
static_assert(schema_is_consistent(), "schema keys must be unique 'section.name' with sane ranges");

using Value = std::variant<std::int64_t, bool, std::string>;

constexpr Kind kind_of(const KeySpec& spec) {
    return std::visit(
        [](auto accessor) {
            using T = FieldType<decltype(accessor)>;
            if constexpr (std::is_same_v<T, bool>) {
                return Kind::kBool;
            } else if constexpr (std::is_same_v<T, std::string>) {
                return Kind::kString;
            } else {
                return Kind::kInt;
            }
        },
        spec.field);
}

Value read_field(const KeySpec& spec, Config& config) {
    return std::visit(
        [&](auto accessor) -> Value {
            using T = FieldType<decltype(accessor)>;
            if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string>) {
                return *accessor(config);
            } else {
                return std::int64_t{*accessor(config)};
            }
        },
        spec.field);
}

void write_field(const KeySpec& spec, Config& config, const Value& value) {
    std::visit(
        [&](auto accessor) {
            using T = FieldType<decltype(accessor)>;
            if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string>) {
                *accessor(config) = std::get<T>(value);
            } else {
                *accessor(config) = static_cast<T>(std::get<std::int64_t>(value));
            }
        },
        spec.field);
}

std::optional<std::size_t> find_key(std::string_view key) {
    const auto it = std::ranges::find(kSchema, key, &KeySpec::key);
    if (it == kSchema.end()) {
        return std::nullopt;
    }
    return static_cast<std::size_t>(it - kSchema.begin());
}

bool is_section(std::string_view section) {
    return std::ranges::any_of(kSchema, [&](const KeySpec& spec) {
        return spec.key.starts_with(section) && spec.key.substr(section.size(), 1) == ".";
    });
}

std::string env_name(std::string_view key) {
    std::string name = "BOTCORE_";
    for (const char c : key) {
        name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return name;
}

std::string range_text(const KeySpec& spec) {
    return "[" + std::to_string(spec.min) + ", " + std::to_string(spec.max) + "]";
}

std::string join(std::span<const std::string_view> words) {
    std::string out;
    for (const auto word : words) {
        if (!out.empty()) {
            out += ", ";
        }
        out += word;
    }
    return out;
}

std::string in_quotes(std::string_view s) {
    return "\"" + std::string(s) + "\"";
}

std::string printable(const KeySpec& spec, const Value& value, bool quote_strings) {
    if (const auto* n = std::get_if<std::int64_t>(&value)) {
        return std::to_string(*n);
    }
    if (const auto* b = std::get_if<bool>(&value)) {
        return *b ? "true" : "false";
    }
    const auto& s = std::get<std::string>(value);
    if (spec.secret) {
        return s.empty() ? "<unset>" : "<redacted>";
    }
    return quote_strings ? in_quotes(s) : s;
}

ConfigError key_error(const KeySpec& spec, std::string_view shown, std::string_view problem,
                      std::string_view origin) {
    std::string message = std::string(spec.key) + " = " + std::string(shown) + " " +
                          std::string(problem) + " (from " + std::string(origin) + ")";
    return {std::string(spec.key), std::move(message)};
}

// One key's current value and the layer it came from.
struct Slot {
    Value value;
    ConfigSource source = ConfigSource::kDefault;
    std::string origin = "default";  // names the layer in error messages
};
using Slots = std::array<Slot, kSchema.size()>;

std::expected<Value, ConfigError> parse_text(const KeySpec& spec, std::string_view text,
                                             std::string_view origin) {
    switch (kind_of(spec)) {
        case Kind::kInt: {
            const auto n = parse_int(text);
            if (n) {
                return *n;
            }
            if (n.error() == std::errc::result_out_of_range) {
                return std::unexpected(
                    key_error(spec, text, "is out of range " + range_text(spec), origin));
            }
            return std::unexpected(key_error(spec, in_quotes(text), "is not an integer", origin));
        }
        case Kind::kBool:
            if (text == "true" || text == "1") {
                return true;
            }
            if (text == "false" || text == "0") {
                return false;
            }
            return std::unexpected(
                key_error(spec, in_quotes(text), "is not a boolean (true, false, 1 or 0)", origin));
        case Kind::kString:
            return std::string(text);
    }
    std::unreachable();
}

std::string toml_text_of(const KeySpec& spec, const toml::node& node) {
    if (spec.secret) {
        return "<redacted>";
    }
    // toml++ prints strings as 'literals'; match the "..." used for every other string.
    if (const auto* s = node.as_string()) {
        return in_quotes(s->get());
    }
    std::ostringstream out;
    node.visit([&](const auto& n) { out << n; });
    return out.str();
}

std::expected<Value, ConfigError> parse_toml(const KeySpec& spec, const toml::node& node,
                                             std::string_view origin) {
    switch (kind_of(spec)) {
        case Kind::kInt:
            if (const auto* n = node.as_integer()) {
                return n->get();
            }
            return std::unexpected(key_error(spec, toml_text_of(spec, node),
                                             "has the wrong type: expected an integer", origin));
        case Kind::kBool:
            if (const auto* b = node.as_boolean()) {
                return b->get();
            }
            return std::unexpected(key_error(spec, toml_text_of(spec, node),
                                             "has the wrong type: expected a boolean", origin));
        case Kind::kString:
            if (const auto* s = node.as_string()) {
                return s->get();
            }
            return std::unexpected(key_error(spec, toml_text_of(spec, node),
                                             "has the wrong type: expected a string", origin));
    }
    std::unreachable();
}

std::string file_origin(std::string_view file_name, const toml::source_region& where) {
    return std::string(file_name) + ":" + std::to_string(where.begin.line) + ":" +
           std::to_string(where.begin.column);
}

std::expected<void, ConfigError> apply_file(const toml::table& file, std::string_view file_name,
                                            Slots& slots) {
    for (auto&& [section, section_node] : file) {
        const std::string origin = file_origin(file_name, section.source());
        if (!is_section(section.str())) {
            return std::unexpected(ConfigError{
                std::string(section.str()),
                "unknown section '" + std::string(section.str()) + "' (from " + origin + ")"});
        }
        const auto* keys = section_node.as_table();
        if (keys == nullptr) {
            return std::unexpected(ConfigError{
                std::string(section.str()),
                "'" + std::string(section.str()) + "' must be a table (from " + origin + ")"});
        }
        for (auto&& [name, node] : *keys) {
            const std::string key = std::string(section.str()) + "." + std::string(name.str());
            const std::string key_origin = file_origin(file_name, name.source());
            const auto index = find_key(key);
            if (!index) {
                return std::unexpected(
                    ConfigError{key, "unknown key '" + key + "' (from " + key_origin + ")"});
            }
            auto value = parse_toml(kSchema[*index], node, key_origin);
            if (!value) {
                return std::unexpected(std::move(value.error()));
            }
            slots[*index] = {std::move(*value), ConfigSource::kFile, key_origin};
        }
    }
    return {};
}

std::expected<void, ConfigError> apply_env(const EnvLookup& env, Slots& slots) {
    if (!env) {
        return {};
    }
    for (std::size_t i = 0; i < kSchema.size(); ++i) {
        const std::string name = env_name(kSchema[i].key);
        const auto text = env(name);
        if (!text) {
            continue;
        }
        const std::string origin = "environment variable " + name;
        auto value = parse_text(kSchema[i], *text, origin);
        if (!value) {
            return std::unexpected(std::move(value.error()));
        }
        slots[i] = {std::move(*value), ConfigSource::kEnvironment, origin};
    }
    return {};
}

std::expected<void, ConfigError> apply_flags(const ConfigOverrides& flags, Slots& slots) {
    for (const auto& [key, text] : flags) {
        const std::string origin = "flag " + key;
        const auto index = find_key(key);
        if (!index) {
            return std::unexpected(
                ConfigError{key, "unknown key '" + key + "' (from " + origin + ")"});
        }
        auto value = parse_text(kSchema[*index], text, origin);
        if (!value) {
            return std::unexpected(std::move(value.error()));
        }
        slots[*index] = {std::move(*value), ConfigSource::kFlag, origin};
    }
    return {};
}

std::optional<std::string> problem_with(const KeySpec& spec, const Value& value) {
    if (const auto* n = std::get_if<std::int64_t>(&value)) {
        if (*n < spec.min || *n > spec.max) {
            return "is out of range " + range_text(spec);
        }
    } else if (const auto* s = std::get_if<std::string>(&value)) {
        if (!spec.allowed.empty() && std::ranges::find(spec.allowed, *s) == spec.allowed.end()) {
            return "is not one of: " + join(spec.allowed);
        }
        if (spec.check != nullptr) {
            return spec.check(*s);
        }
    }
    return std::nullopt;
}

std::expected<void, ConfigError> check_cross_keys(const Config& config, const Slots& slots) {
    const auto min_index = find_key("scaling.min_instances");
    if (config.scaling.min_instances > config.scaling.max_instances) {
        const auto& spec = kSchema[*min_index];
        return std::unexpected(key_error(spec, std::to_string(config.scaling.min_instances),
                                         "is greater than scaling.max_instances = " +
                                             std::to_string(config.scaling.max_instances),
                                         slots[*min_index].origin));
    }
    if (config.postgres.pool_min > config.postgres.pool_max) {
        const auto index = *find_key("postgres.pool_min");
        return std::unexpected(key_error(
            kSchema[index], std::to_string(config.postgres.pool_min),
            "is greater than postgres.pool_max = " + std::to_string(config.postgres.pool_max),
            slots[index].origin));
    }
    return {};
}

// Later layers win; values are validated once all layers are merged, so a bad file value that a
// flag overrides does not stop the server from starting.
std::expected<LoadedConfig, ConfigError> load_layers(std::string_view toml_text,
                                                     std::string_view file_name,
                                                     const ConfigOverrides& flags,
                                                     const EnvLookup& env) {
    Slots slots;
    Config defaults;
    for (std::size_t i = 0; i < kSchema.size(); ++i) {
        slots[i].value = read_field(kSchema[i], defaults);
    }

    toml::table file;
    try {
        file = toml::parse(toml_text, file_name);
    } catch (const toml::parse_error& error) {
        return std::unexpected(
            ConfigError{"", file_origin(file_name, error.source()) +
                                ": TOML syntax error: " + std::string(error.description())});
    }

    if (auto applied = apply_file(file, file_name, slots); !applied) {
        return std::unexpected(std::move(applied.error()));
    }
    if (auto applied = apply_env(env, slots); !applied) {
        return std::unexpected(std::move(applied.error()));
    }
    if (auto applied = apply_flags(flags, slots); !applied) {
        return std::unexpected(std::move(applied.error()));
    }

    LoadedConfig loaded;
    for (std::size_t i = 0; i < kSchema.size(); ++i) {
        const auto& spec = kSchema[i];
        const auto& slot = slots[i];
        if (const auto problem = problem_with(spec, slot.value)) {
            return std::unexpected(
                key_error(spec, printable(spec, slot.value, true), *problem, slot.origin));
        }
        write_field(spec, loaded.config, slot.value);
        loaded.entries.push_back(
            {std::string(spec.key), printable(spec, slot.value, false), slot.source});
    }
    if (auto checked = check_cross_keys(loaded.config, slots); !checked) {
        return std::unexpected(std::move(checked.error()));
    }
    std::ranges::sort(loaded.entries, {}, &ConfigEntry::key);
    return loaded;
}

std::expected<std::string, ConfigError> read_file(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        return std::unexpected(
            ConfigError{"", "cannot read config file '" + path + "': is a directory"});
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int error = errno;
        return std::unexpected(ConfigError{"", "cannot open config file '" + path +
                                                   "': " + std::generic_category().message(error)});
    }
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) {
        return std::unexpected(ConfigError{"", "cannot read config file '" + path + "'"});
    }
    return text;
}

}  // namespace

std::string_view to_string(ConfigSource source) {
    switch (source) {
        case ConfigSource::kDefault:
            return "default";
        case ConfigSource::kFile:
            return "file";
        case ConfigSource::kEnvironment:
            return "environment";
        case ConfigSource::kFlag:
            return "flag";
    }
    return "unknown";
}

std::optional<std::string> process_env(std::string_view name) {
    if (const char* value = std::getenv(std::string(name).c_str())) {
        return std::string(value);
    }
    return std::nullopt;
}

std::expected<LoadedConfig, ConfigError> load_config(const std::optional<std::string>& file_path,
                                                     const ConfigOverrides& flags, EnvLookup env) {
    if (!file_path) {
        return load_layers("", "", flags, env);
    }
    auto text = read_file(*file_path);
    if (!text) {
        return std::unexpected(std::move(text.error()));
    }
    return load_layers(*text, *file_path, flags, env);
}

std::expected<LoadedConfig, ConfigError> load_config_text(std::string_view toml_text,
                                                          const ConfigOverrides& flags,
                                                          EnvLookup env) {
    return load_layers(toml_text, "<config text>", flags, env);
}

}  // namespace botcore
