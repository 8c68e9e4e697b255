#include "load_options.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

namespace botcore::load {

std::expected<LoadOptions, int> parse_load_options(int argc, char** argv,
                                                   std::string default_email_prefix) {
    LoadOptions options;
    options.email_prefix = std::move(default_email_prefix);

    CLI::App app{
        "botcore-load: signs users in over HTTP, opens one WebSocket per user, subscribes to "
        "price channels and measures delivered messages/s and tick-to-client latency."};
    app.add_option("--url", options.url, "Server base URL (http://host:port)")
        ->capture_default_str();
    app.add_option("--users", options.users, "Users, one WebSocket each")
        ->capture_default_str()
        ->check(CLI::Range(1, 1'000'000));
    app.add_option("--ramp", options.ramp_per_second, "New WebSocket connections per second")
        ->capture_default_str()
        ->check(CLI::Range(0.1, 1e6));
    app.add_option("--symbols-per-user", options.symbols_per_user,
                   "Price channels each user subscribes to")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    app.add_option("--duration", options.duration_s, "Seconds of measurement after the warm-up")
        ->capture_default_str()
        ->check(CLI::Range(0.1, 86400.0));
    app.add_option("--warmup", options.warmup_s,
                   "Seconds after the ramp whose messages are not counted")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 86400.0));
    app.add_option("--http-concurrency", options.http_concurrency,
                   "Parallel keep-alive HTTP connections for register/login")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    app.add_option("--email-prefix", options.email_prefix,
                   "Users are <prefix>-<i>@load.test; reuse a prefix to log existing users in")
        ->capture_default_str();
    app.add_option("--password", options.password, "Password of every load user (12+ chars)");
    app.add_flag("--no-auth", options.no_auth,
                 "Skip register/login and the symbols call; connect with ?token=load");
    app.add_option("--symbols", options.symbols,
                   "Comma-separated symbols to use instead of the server's list")
        ->delimiter(',');
    app.add_option("--threads", options.threads, "io_context threads")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    app.add_option("--out", options.out_file, "Write the JSON summary to this file");
    app.add_option("--max-seconds", options.max_seconds, "Hard bound on the whole run")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 86400.0));

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return std::unexpected(app.exit(error) == 0 ? 0 : 2);
    }

    auto target = parse_target_url(options.url);
    if (!target) {
        fmt::print(stderr, "--url {}: {}\n", options.url, target.error());
        return std::unexpected(2);
    }
    options.target = std::move(*target);
    if (!options.no_auth && options.password.size() < 12) {
        fmt::print(stderr, "--password must have at least 12 characters\n");
        return std::unexpected(2);
    }
    if (!options.no_auth && options.email_prefix.empty()) {
        fmt::print(stderr, "--email-prefix must not be empty\n");
        return std::unexpected(2);
    }
    for (const auto& symbol : options.symbols) {
        if (symbol.empty() || symbol.find_first_of("\"\\ ") != std::string::npos) {
            fmt::print(stderr, "--symbols: '{}' is not a symbol name\n", symbol);
            return std::unexpected(2);
        }
    }
    return options;
}

}  // namespace botcore::load
