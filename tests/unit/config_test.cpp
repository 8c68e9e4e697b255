#include "app/config.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace botcore {
namespace {

using Env = std::map<std::string, std::string>;
using Result = std::expected<LoadedConfig, ConfigError>;

EnvLookup env_from(Env vars) {
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        const auto it = vars.find(std::string(name));
        if (it == vars.end()) {
            return std::nullopt;
        }
        return it->second;
    };
}

Result load(std::string_view toml, const ConfigOverrides& flags = {}, Env env = {}) {
    return load_config_text(toml, flags, env_from(std::move(env)));
}

const ConfigEntry& entry(const LoadedConfig& loaded, std::string_view key) {
    const auto it = std::ranges::find(loaded.entries, key, &ConfigEntry::key);
    if (it == loaded.entries.end()) {
        static const ConfigEntry missing{"<missing>", "<missing>", ConfigSource::kDefault};
        ADD_FAILURE() << "no entry for " << key;
        return missing;
    }
    return *it;
}

// The error message, or a failure when the load unexpectedly succeeded.
std::string error_message(const Result& result) {
    if (result.has_value()) {
        ADD_FAILURE() << "expected an error, got a config";
        return {};
    }
    return result.error().message;
}

constexpr std::string_view kLongSecret = "0123456789abcdef0123456789abcdef";

TEST(Config, DefaultsApplyWhenNothingIsGivenAndEverySourceIsDefault) {
    const auto loaded = load("");
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;

    const Config defaults;
    EXPECT_EQ(loaded->config.server.listen, defaults.server.listen);
    EXPECT_EQ(loaded->config.server.body_limit_bytes, 1048576);
    EXPECT_EQ(loaded->config.auth.refresh_ttl_seconds, 604800);
    EXPECT_EQ(loaded->config.account.initial_balance, "10000");
    EXPECT_EQ(loaded->config.scaling.min_instances, 2);
    EXPECT_EQ(loaded->config.log.level, "info");
    EXPECT_TRUE(loaded->config.log.access);

    EXPECT_EQ(loaded->entries.size(), 78u);
    for (const auto& e : loaded->entries) {
        EXPECT_EQ(e.source, ConfigSource::kDefault) << e.key;
    }
    EXPECT_EQ(entry(*loaded, "server.listen").value, "127.0.0.1:8080");
    EXPECT_EQ(entry(*loaded, "store.auto_migrate").value, "true");
    EXPECT_EQ(entry(*loaded, "server.body_limit_bytes").value, "1048576");
}

TEST(Config, EntriesAreSortedByDottedKey) {
    const auto loaded = load("");
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    EXPECT_TRUE(std::ranges::is_sorted(loaded->entries, {}, &ConfigEntry::key));
    EXPECT_EQ(loaded->entries.front().key, "account.initial_balance");
    EXPECT_EQ(loaded->entries.back().key, "trading.slippage_max_bp");
}

TEST(Config, FileOverridesDefaults) {
    const auto loaded = load(R"(
        [server]
        listen = "0.0.0.0:9000"
        threads = 8
        [store]
        auto_migrate = false
        [account]
        initial_balance = "250.5"
    )");
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    EXPECT_EQ(loaded->config.server.listen, "0.0.0.0:9000");
    EXPECT_EQ(loaded->config.server.threads, 8);
    EXPECT_FALSE(loaded->config.store.auto_migrate);
    EXPECT_EQ(loaded->config.account.initial_balance, "250.5");
    EXPECT_EQ(entry(*loaded, "server.threads").source, ConfigSource::kFile);
    EXPECT_EQ(entry(*loaded, "server.threads").value, "8");
    EXPECT_EQ(entry(*loaded, "server.worker_threads").source, ConfigSource::kDefault);
}

TEST(Config, EnvironmentOverridesFile) {
    const auto loaded =
        load("[scaling]\nmin_instances = 3\n", {}, {{"BOTCORE_SCALING_MIN_INSTANCES", "4"}});
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    EXPECT_EQ(loaded->config.scaling.min_instances, 4);
    EXPECT_EQ(entry(*loaded, "scaling.min_instances").source, ConfigSource::kEnvironment);
}

TEST(Config, FlagOverridesEnvironment) {
    const auto loaded = load("[scaling]\nmin_instances = 3\n", {{"scaling.min_instances", "5"}},
                             {{"BOTCORE_SCALING_MIN_INSTANCES", "4"}});
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    EXPECT_EQ(loaded->config.scaling.min_instances, 5);
    EXPECT_EQ(entry(*loaded, "scaling.min_instances").source, ConfigSource::kFlag);
}

TEST(Config, EnvironmentNameIsBotcorePrefixSectionAndKeyInUpperCase) {
    std::set<std::string> asked;
    const EnvLookup spy = [&](std::string_view name) -> std::optional<std::string> {
        asked.emplace(name);
        return std::nullopt;
    };
    ASSERT_TRUE(load_config_text("", {}, spy).has_value());
    EXPECT_TRUE(asked.contains("BOTCORE_SCALING_MIN_INSTANCES"));
    EXPECT_TRUE(asked.contains("BOTCORE_AUTH_JWT_SECRET"));
    EXPECT_TRUE(asked.contains("BOTCORE_SERVER_LISTEN"));
    EXPECT_EQ(asked.size(), 78u);
}

TEST(Config, ValueOverriddenByALaterLayerIsNotValidated) {
    const auto loaded = load("[scaling]\nmin_instances = 0\n", {{"scaling.min_instances", "3"}});
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    EXPECT_EQ(loaded->config.scaling.min_instances, 3);
}

TEST(Config, OutOfRangeMessageNamesKeyValueAndRange) {
    const auto result = load("[scaling]\nmin_instances = 0\n");
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().key, "scaling.min_instances");
    EXPECT_TRUE(
        result.error().message.starts_with("scaling.min_instances = 0 is out of range [1, 100]"))
        << result.error().message;
}

struct RangeCase {
    std::string key;
    std::int64_t min;
    std::int64_t max;
};

class ConfigRange : public testing::TestWithParam<RangeCase> {};

TEST_P(ConfigRange, ValuesJustOutsideTheRangeAreRejectedNamingKeyValueAndRange) {
    const auto& [key, min, max] = GetParam();
    const std::string range = "[" + std::to_string(min) + ", " + std::to_string(max) + "]";
    for (const std::int64_t bad : {min - 1, max + 1}) {
        const std::string value = std::to_string(bad);
        SCOPED_TRACE(key + " = " + value);
        const auto result = load("", {{key, value}});
        ASSERT_FALSE(result.has_value());
        EXPECT_EQ(result.error().key, key);
        EXPECT_EQ(error_message(result).find(key + " = " + value + " is out of range " + range), 0u)
            << error_message(result);
    }
}

TEST_P(ConfigRange, BoundsThemselvesAreAccepted) {
    const auto& [key, min, max] = GetParam();
    for (const std::int64_t good : {min, max}) {
        // min_instances <= max_instances is checked separately; keep the pair consistent.
        ConfigOverrides flags{{key, std::to_string(good)}};
        if (key == "scaling.min_instances") {
            flags.emplace("scaling.max_instances", "1000");
        }
        const auto result = load("", flags);
        EXPECT_TRUE(result.has_value()) << key << " = " << good << ": " << result.error().message;
    }
}

INSTANTIATE_TEST_SUITE_P(
    EveryIntegerKey, ConfigRange,
    testing::Values(
        RangeCase{"server.threads", 0, 256}, RangeCase{"server.worker_threads", 1, 256},
        RangeCase{"server.max_connections", 1, 1000000},
        RangeCase{"server.body_limit_bytes", 1024, 1073741824},
        RangeCase{"server.request_timeout_seconds", 1, 300},
        RangeCase{"server.idle_timeout_seconds", 1, 3600},
        RangeCase{"server.drain_grace_seconds", 0, 120},
        RangeCase{"server.shutdown_timeout_seconds", 1, 300},
        RangeCase{"auth.access_ttl_seconds", 60, 2592000},
        RangeCase{"auth.refresh_ttl_seconds", 60, 31536000},
        RangeCase{"auth.password_min_length", 8, 128}, RangeCase{"auth.lockout_failures", 1, 100},
        RangeCase{"auth.lockout_window_seconds", 1, 86400},
        RangeCase{"auth.lockout_seconds", 1, 86400}, RangeCase{"auth.password_hash_ops", 1, 10},
        RangeCase{"auth.password_hash_memory_kib", 8, 4194304},
        RangeCase{"scaling.min_instances", 1, 100}, RangeCase{"scaling.max_instances", 2, 1000},
        RangeCase{"scaling.target_cpu_percent", 50, 90},
        RangeCase{"scaling.target_memory_percent", 60, 90},
        RangeCase{"scaling.scale_up_cooldown_seconds", 60, 600},
        RangeCase{"scaling.scale_down_cooldown_seconds", 300, 1800}),
    [](const testing::TestParamInfo<RangeCase>& info) {
        std::string name = info.param.key;
        std::ranges::replace(name, '.', '_');
        return name;
    });

TEST(Config, IntegerTooLargeForAnyRangeIsOutOfRange) {
    const auto result = load("", {}, {{"BOTCORE_SERVER_THREADS", "99999999999999999999"}});
    EXPECT_NE(error_message(result).find("server.threads = 99999999999999999999 is out of range "
                                         "[0, 256]"),
              std::string::npos)
        << error_message(result);
}

TEST(Config, UnknownKeyInFileIsAnErrorNamingTheKey) {
    const auto result = load("[server]\nfo = 1\n");
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().key, "server.fo");
    EXPECT_NE(error_message(result).find("unknown key 'server.fo'"), std::string::npos);
}

TEST(Config, UnknownSectionInFileIsAnErrorNamingTheSection) {
    const auto result = load("[serverz]\nthreads = 1\n");
    EXPECT_NE(error_message(result).find("unknown section 'serverz'"), std::string::npos)
        << error_message(result);
}

TEST(Config, SectionThatIsNotATableIsAnError) {
    const auto result = load("server = 1\n");
    EXPECT_NE(error_message(result).find("'server' must be a table"), std::string::npos)
        << error_message(result);
}

TEST(Config, UnknownFlagKeyIsAnErrorNamingTheKey) {
    const auto result = load("", {{"server.fo", "1"}});
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().key, "server.fo");
    EXPECT_NE(error_message(result).find("unknown key 'server.fo'"), std::string::npos);
}

TEST(Config, StringWhereIntegerExpectedInFileIsAnErrorNamingTheKey) {
    const auto result = load("[server]\nthreads = \"4\"\n");
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().key, "server.threads");
    EXPECT_NE(error_message(result).find("server.threads = \"4\" has the wrong type: expected an "
                                         "integer"),
              std::string::npos)
        << error_message(result);
}

TEST(Config, WrongTomlTypeForBooleanAndStringKeysIsAnError) {
    EXPECT_NE(error_message(load("[log]\naccess = \"yes\"\n")).find("expected a boolean"),
              std::string::npos);
    EXPECT_NE(error_message(load("[log]\nlevel = 3\n")).find("log.level = 3 has the wrong type"),
              std::string::npos);
    EXPECT_NE(error_message(load("[server]\nthreads = 4.0\n")).find("expected an integer"),
              std::string::npos);
}

TEST(Config, IntegersFromTextMustBeTheWholeString) {
    for (const std::string text : {"4x", " 4", "4 ", "+4", "", "0x10", "4.0"}) {
        SCOPED_TRACE("'" + text + "'");
        const auto result = load("", {}, {{"BOTCORE_SERVER_THREADS", text}});
        ASSERT_FALSE(result.has_value());
        EXPECT_EQ(result.error().key, "server.threads");
        EXPECT_NE(error_message(result).find("is not an integer"), std::string::npos);
        EXPECT_NE(error_message(result).find("BOTCORE_SERVER_THREADS"), std::string::npos);
    }
}

TEST(Config, BooleansFromTextAreTrueFalseOneOrZero) {
    const auto loaded = load("", {{"store.auto_migrate", "0"}, {"log.access", "false"}});
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    EXPECT_FALSE(loaded->config.store.auto_migrate);
    EXPECT_FALSE(loaded->config.log.access);

    const auto yes = load("", {{"log.access", "yes"}});
    EXPECT_NE(error_message(yes).find("log.access = \"yes\" is not a boolean"), std::string::npos)
        << error_message(yes);
}

TEST(Config, ListenMustBeHostColonPort) {
    for (const std::string bad :
         {"", "8080", ":8080", "localhost:", "localhost:65536", "localhost:-1", "localhost:80x",
          "::1:8080", "[::1]8080", "[]:8080", "[::1]:", "local host:80"}) {
        SCOPED_TRACE("'" + bad + "'");
        const auto result = load("", {{"server.listen", bad}});
        ASSERT_FALSE(result.has_value());
        EXPECT_EQ(result.error().key, "server.listen");
        EXPECT_NE(error_message(result).find("server.listen = \"" + bad + "\" is not HOST:PORT"),
                  std::string::npos)
            << error_message(result);
    }
}

TEST(Config, ListenAcceptsNamesIpv4AndBracketedIpv6) {
    for (const std::string good : {"[::1]:8080", "0.0.0.0:0", "localhost:65535", "[::]:80"}) {
        const auto result = load("", {{"server.listen", good}});
        EXPECT_TRUE(result.has_value()) << good << ": " << result.error().message;
    }
}

TEST(Config, TrustedProxiesAreAddressesAndNetworksNamingTheOneThatIsNot) {
    const auto result = load("", {{"server.trusted_proxies", "127.0.0.1, haproxy"}});
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().key, "server.trusted_proxies");
    EXPECT_NE(error_message(result).find("'haproxy' is not an IPv4 or IPv6 address or network"),
              std::string::npos)
        << error_message(result);
    const auto good = load("", {{"server.trusted_proxies", "127.0.0.1, 10.0.0.0/8, ::1"}});
    EXPECT_TRUE(good.has_value()) << good.error().message;
}

TEST(Config, MarketSymbolsAreCatalogNamesNamingTheOneThatIsNot) {
    const auto result = load("", {{"market.symbols", "BTCUSDT,PEPEUSDT"}});
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().key, "market.symbols");
    EXPECT_NE(error_message(result).find("'PEPEUSDT' is not a symbol of the catalog"),
              std::string::npos)
        << error_message(result);
    EXPECT_TRUE(load("", {{"market.symbols", "BTCUSDT, ETHUSDT, BNBUSDT, SOLUSDT"}}).has_value());
}

TEST(Config, InitialBalanceMustBeAPositiveDecimalUpToOneBillion) {
    for (const std::string bad :
         {"0", "0.00000000", "-1", "+5", "1e3", "1.123456789", "1000000000.00000001", "1000000001",
          "abc", "", "1.", ".5", "1.2.3", " 5", "01000000000.1"}) {
        SCOPED_TRACE("'" + bad + "'");
        const auto result = load("", {{"account.initial_balance", bad}});
        ASSERT_FALSE(result.has_value());
        EXPECT_EQ(result.error().key, "account.initial_balance");
        EXPECT_NE(error_message(result).find("account.initial_balance = \"" + bad +
                                             "\" is not a decimal amount > 0 and <= 1000000000"),
                  std::string::npos)
            << error_message(result);
    }
}

TEST(Config, InitialBalanceAcceptsSmallestAndLargestAmounts) {
    for (const std::string good :
         {"0.00000001", "1000000000", "1000000000.00000000", "12.5", "007"}) {
        const auto result = load("", {{"account.initial_balance", good}});
        EXPECT_TRUE(result.has_value()) << good << ": " << result.error().message;
    }
}

TEST(Config, StringKeysWithAllowedValuesListThemWhenRejected) {
    const auto level = load("", {{"log.level", "verbose"}});
    EXPECT_NE(error_message(level).find(
                  "log.level = \"verbose\" is not one of: trace, debug, info, warn, error, off"),
              std::string::npos)
        << error_message(level);

    const auto engine = load("[store]\nengine = \"mysql\"\n");
    EXPECT_NE(error_message(engine).find("store.engine = \"mysql\" is not one of: sqlite"),
              std::string::npos)
        << error_message(engine);
}

TEST(Config, DataDirMustNotBeEmpty) {
    const auto result = load("", {}, {{"BOTCORE_STORE_DATA_DIR", ""}});
    EXPECT_NE(error_message(result).find("store.data_dir = \"\" must not be empty"),
              std::string::npos)
        << error_message(result);
}

TEST(Config, SecretIsRedactedInEntriesWhenSetAndUnsetWhenEmpty) {
    const auto unset = load("");
    ASSERT_TRUE(unset.has_value());
    EXPECT_EQ(entry(*unset, "auth.jwt_secret").value, "<unset>");

    const auto set = load("", {}, {{"BOTCORE_AUTH_JWT_SECRET", std::string(kLongSecret)}});
    ASSERT_TRUE(set.has_value()) << set.error().message;
    EXPECT_EQ(set->config.auth.jwt_secret, kLongSecret);
    EXPECT_EQ(entry(*set, "auth.jwt_secret").value, "<redacted>");
    EXPECT_EQ(entry(*set, "auth.jwt_secret").source, ConfigSource::kEnvironment);
    for (const auto& e : set->entries) {
        EXPECT_EQ(e.value.find(kLongSecret), std::string::npos) << e.key;
    }
}

TEST(Config, ShortSecretIsRejectedWithoutRevealingIt) {
    const std::string short_secret = "hunter2-hunter2";
    const auto result = load("[auth]\njwt_secret = \"" + short_secret + "\"\n");
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().key, "auth.jwt_secret");
    EXPECT_NE(error_message(result).find("auth.jwt_secret = <redacted> is too short"),
              std::string::npos)
        << error_message(result);
    EXPECT_EQ(error_message(result).find(short_secret), std::string::npos);
}

TEST(Config, MinInstancesGreaterThanMaxInstancesIsAnErrorNamingMinInstances) {
    const auto result = load("[scaling]\nmax_instances = 4\n", {{"scaling.min_instances", "5"}});
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().key, "scaling.min_instances");
    EXPECT_NE(error_message(result).find(
                  "scaling.min_instances = 5 is greater than scaling.max_instances = 4"),
              std::string::npos)
        << error_message(result);

    EXPECT_TRUE(load("", {{"scaling.min_instances", "10"}}).has_value());
}

TEST(Config, SyntaxErrorNamesTheFileAndLine) {
    const auto result = load("[server]\nthreads = 4\nlisten = \n");
    ASSERT_FALSE(result.has_value());
    EXPECT_TRUE(result.error().key.empty());
    const std::string message = error_message(result);
    EXPECT_NE(message.find("<config text>:3:"), std::string::npos) << message;
    EXPECT_NE(message.find("TOML syntax error: "), std::string::npos) << message;
    EXPECT_GT(message.size(), message.find("TOML syntax error: ") + 19) << message;
}

TEST(Config, FileErrorsNameWhereInTheFile) {
    const auto result = load("[server]\n\nworker_threads = 0\n");
    EXPECT_NE(error_message(result).find("(from <config text>:3:1)"), std::string::npos)
        << error_message(result);
}

TEST(Config, LoadConfigReadsTheFileAtPath) {
    const auto path = std::filesystem::path(testing::TempDir()) /
                      ("botcore_config_test_" + std::to_string(::getpid()) + ".toml");
    {
        std::ofstream out(path);
        out << "[log]\nlevel = \"debug\"\n";
    }
    const auto loaded = load_config(path.string(), {}, env_from({}));
    std::filesystem::remove(path);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    EXPECT_EQ(loaded->config.log.level, "debug");
    EXPECT_EQ(entry(*loaded, "log.level").source, ConfigSource::kFile);
}

TEST(Config, LoadConfigWithMissingFileIsAnErrorNamingThePath) {
    const std::string path = "/nonexistent/botcore/config.toml";
    const auto result = load_config(path, {}, env_from({}));
    ASSERT_FALSE(result.has_value());
    EXPECT_NE(result.error().message.find(path), std::string::npos) << result.error().message;
}

TEST(Config, LoadConfigWithoutAFileUsesTheOtherLayers) {
    const auto loaded = load_config(std::nullopt, {{"log.format", "text"}}, env_from({}));
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    EXPECT_EQ(loaded->config.log.format, "text");
}

TEST(Config, SourcesPrintAsWords) {
    EXPECT_EQ(to_string(ConfigSource::kDefault), "default");
    EXPECT_EQ(to_string(ConfigSource::kFile), "file");
    EXPECT_EQ(to_string(ConfigSource::kEnvironment), "environment");
    EXPECT_EQ(to_string(ConfigSource::kFlag), "flag");
}

}  // namespace
}  // namespace botcore
