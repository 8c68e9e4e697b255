#include "load_run.hpp"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <exception>
#include <memory>
#include <thread>

#include "auth_client.hpp"
#include "default_symbols.hpp"
#include "fd_limit.hpp"
#include "run_stats.hpp"
#include "ws_fleet.hpp"

namespace botcore::load {

namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::chrono::milliseconds kHandshakeTimeout = 10s;
constexpr auto kProgressEvery = 5s;
constexpr Clock::duration kPoll = 100ms;
constexpr Clock::duration kFinePoll = 10ms;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

Clock::duration seconds(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

void note(Clock::time_point start, std::string_view text) {
    fmt::print(stderr, "[{:8.2f}s] {}\n", seconds_since(start), text);
}

struct RunContext {
    const LoadOptions& options;
    RunStats& stats;
    std::vector<asio::io_context::executor_type> executors;  // one per thread
    std::unique_ptr<WsFleet>& fleet;
    RunReport& report;
    ServerAddress server;
    Clock::time_point start;
    Clock::time_point work_deadline;  // the phases end by then, leaving time to close
    Clock::duration close_budget;
};

// g++ 12 destroys a temporary inside a co_await expression twice, and miscompiles a co_await
// in a condition: every co_await here takes named values and assigns its result to a local.

// Waits until `until` or until done() holds, looking every `poll`.
template <class Done>
awaitable<void> wait_until(Clock::time_point until, Clock::duration poll, Done done) {
    const auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor);
    while (Clock::now() < until && !done()) {
        timer.expires_at(std::min(until, Clock::now() + poll));
        boost::system::error_code ignored;
        co_await timer.async_wait(asio::redirect_error(use_awaitable, ignored));
    }
}

awaitable<std::vector<std::string>> sign_in(RunContext& run) {
    const auto& options = run.options;
    note(run.start, fmt::format("signing in {} users over {} HTTP connections", options.users,
                                options.http_concurrency));
    const auto begun = Clock::now();
    const SignInPlan plan{options.users, options.http_concurrency, options.email_prefix,
                          options.password, run.work_deadline};
    auto tokens = co_await sign_in_users(run.server, plan, run.stats);
    run.report.sign_in_seconds = seconds_since(begun);
    const auto signed_in = std::count_if(tokens.begin(), tokens.end(),
                                         [](const std::string& token) { return !token.empty(); });
    note(run.start, fmt::format("{} of {} users signed in in {:.2f} s", signed_in, options.users,
                                run.report.sign_in_seconds));
    co_return tokens;
}

// The symbols to subscribe to, or why there are none.
awaitable<std::expected<std::vector<std::string>, std::string>> choose_symbols(
    RunContext& run, const std::vector<std::string>& tokens) {
    if (!run.options.symbols.empty()) {
        co_return run.options.symbols;
    }
    if (run.options.no_auth) {
        auto symbols = default_symbols();
        co_return symbols;
    }
    const auto token =
        std::find_if(tokens.begin(), tokens.end(), [](const std::string& t) { return !t.empty(); });
    const auto begun = Clock::now();
    auto symbols = co_await fetch_symbols(run.server, *token, run.work_deadline);
    run.report.symbols_fetch_ms = seconds_since(begun) * 1000.0;
    if (!symbols) {
        co_return std::unexpected("GET /api/market/symbols: " + symbols.error());
    }
    co_return symbols;
}

awaitable<void> measure(RunContext& run) {
    auto& stats = run.stats;
    const auto stopped = [&stats] { return stats.stop_requested.load(); };
    const auto warm_begun = Clock::now();
    stats.phase = Phase::kWarmup;
    note(run.start, fmt::format("warming up for {} s", run.options.warmup_s));
    const auto warm_until = std::min(run.work_deadline, warm_begun + seconds(run.options.warmup_s));
    co_await wait_until(warm_until, kPoll, stopped);
    run.report.warmup_seconds = seconds_since(warm_begun);
    if (stopped() || Clock::now() >= run.work_deadline) {
        co_return;
    }

    const auto begun = Clock::now();
    const auto end = begun + seconds(run.options.duration_s);
    stats.phase = Phase::kMeasuring;
    note(run.start, fmt::format("measuring for {} s", run.options.duration_s));
    auto last_at = begun;
    std::uint64_t last_count = 0;
    // One pass per progress line: bounded by the measurement's end.
    const auto stop_at = std::min(end, run.work_deadline);
    while (Clock::now() < stop_at && !stopped()) {
        const auto next_line = std::min(stop_at, Clock::now() + kProgressEvery);
        co_await wait_until(next_line, kPoll, stopped);
        const auto count = stats.measured_messages.load();
        const auto elapsed = std::max(seconds_since(last_at), 1e-3);
        note(run.start, fmt::format("{:.0f} messages/s, {} unexpected disconnects",
                                    static_cast<double>(count - last_count) / elapsed,
                                    stats.disconnects.total()));
        last_at = Clock::now();
        last_count = count;
    }
    stats.phase = Phase::kClosing;
    run.report.measured_seconds = seconds_since(begun);
    run.report.completed = Clock::now() >= end;
}

awaitable<void> close_connections(RunContext& run) {
    auto& fleet = *run.fleet;
    note(run.start, fmt::format("closing {} connections", fleet.live()));
    const auto begun = Clock::now();
    const auto all_closed = [&fleet] { return fleet.live() == 0; };
    fleet.close_all();
    const auto close_until = begun + run.close_budget * 3 / 4;
    co_await wait_until(close_until, kFinePoll, all_closed);
    if (!all_closed()) {
        note(run.start,
             fmt::format("{} connections did not close in time: dropping them", fleet.live()));
        fleet.abort_all();
        const auto abort_until = begun + run.close_budget * 7 / 8;
        co_await wait_until(abort_until, kFinePoll, all_closed);
    }
}

awaitable<void> orchestrate(RunContext& run) {
    const auto& options = run.options;
    auto& stats = run.stats;
    auto& report = run.report;

    std::vector<std::string> tokens;
    if (!options.no_auth) {
        tokens = co_await sign_in(run);
        if (std::all_of(tokens.begin(), tokens.end(), [](const auto& t) { return t.empty(); })) {
            report.stop_reason = "no user could sign in";
            co_return;
        }
    }
    auto symbols = co_await choose_symbols(run, tokens);
    if (!symbols) {
        report.stop_reason = symbols.error();
        co_return;
    }
    report.symbols = std::move(*symbols);
    report.symbols_per_user =
        std::min(options.symbols_per_user, static_cast<int>(report.symbols.size()));
    if (report.symbols_per_user < options.symbols_per_user) {
        note(run.start, fmt::format("only {} symbols: each user subscribes to all of them",
                                    report.symbols.size()));
    }
    if (stats.stop_requested.load()) {
        report.stop_reason = "interrupted";
        co_return;
    }

    run.fleet = std::make_unique<WsFleet>(
        run.executors,
        FleetPlan{run.server, std::move(tokens), report.symbols, options.users,
                  report.symbols_per_user, options.ramp_per_second, kHandshakeTimeout},
        stats);
    auto& fleet = *run.fleet;
    note(run.start, fmt::format("opening {} WebSocket connections at {}/s", options.users,
                                options.ramp_per_second));
    const auto ramp_begun = Clock::now();
    co_await fleet.ramp(run.work_deadline);
    const auto settle_until = std::min(run.work_deadline, Clock::now() + kHandshakeTimeout + 2s);
    const auto settled = [&] { return fleet.settling() == 0 || stats.stop_requested.load(); };
    co_await wait_until(settle_until, kFinePoll, settled);
    report.ramp_seconds = seconds_since(ramp_begun);
    note(run.start,
         fmt::format("{} subscribed, {} connect failures in {:.2f} s", stats.subscribed.load(),
                     stats.connect_failures.total(), report.ramp_seconds));

    if (!stats.stop_requested.load()) {
        co_await measure(run);
    }
    stats.phase = Phase::kClosing;
    if (!report.completed && report.stop_reason.empty()) {
        report.stop_reason = stats.stop_requested.load() ? "interrupted" : "--max-seconds reached";
    }
    co_await close_connections(run);
}

// Ends the run at once: every io_context's run() returns.
struct StopAll {
    std::vector<std::unique_ptr<asio::io_context>>& contexts;
    void operator()() const {
        for (auto& context : contexts) {
            context->stop();
        }
    }
};

// First signal: end the measurement and close; second: quit at once.
awaitable<void> watch_signals(asio::signal_set& signals, RunStats& stats, StopAll stop_all,
                              Clock::time_point start) {
    boost::system::error_code error;
    co_await signals.async_wait(asio::redirect_error(use_awaitable, error));
    if (error) {
        co_return;
    }
    note(start, "stopping: closing the connections (signal again to quit at once)");
    stats.stop_requested = true;
    co_await signals.async_wait(asio::redirect_error(use_awaitable, error));
    if (!error) {
        stop_all();
    }
}

RateSpread spread(const std::vector<std::uint32_t>& counts, double seconds) {
    RateSpread rates;
    if (counts.empty() || seconds <= 0) {
        return rates;
    }
    const auto [low, high] = std::minmax_element(counts.begin(), counts.end());
    double sum = 0;
    for (const auto n : counts) {
        sum += n;
    }
    rates.connections = counts.size();
    rates.min = *low / seconds;
    rates.max = *high / seconds;
    rates.mean = sum / static_cast<double>(counts.size()) / seconds;
    return rates;
}

void fill_report(RunReport& report, const RunStats& stats, const WsFleet* fleet) {
    report.registered = stats.registered.load();
    report.already_registered = stats.already_registered.load();
    report.logged_in = stats.logged_in.load();
    report.sign_in_failures = stats.sign_in_failures.snapshot();
    report.register_ms = stats.register_latency.summarize();
    report.login_ms = stats.login_latency.summarize();

    report.connect_attempts = stats.connect_attempts.load();
    report.connected = stats.connected.load();
    report.subscribed = stats.subscribed.load();
    report.closed_cleanly = stats.closed_cleanly.load();
    report.connect_failures = stats.connect_failures.snapshot();
    report.disconnects = stats.disconnects.snapshot();
    report.close_problems = stats.close_problems.snapshot();
    report.connect_ms = stats.connect_latency.summarize();

    report.messages = stats.messages.load();
    report.measured_messages = stats.measured_messages.load();
    report.measured_bytes = stats.measured_bytes.load();
    report.messages_per_second =
        report.measured_seconds > 0
            ? static_cast<double>(report.measured_messages) / report.measured_seconds
            : 0;
    report.latency_ms = stats.tick_latency.summarize();
    report.error_messages = stats.error_messages.load();
    report.other_messages = stats.other_messages.load();
    report.error_codes = stats.error_codes.snapshot();
    if (fleet != nullptr) {
        report.per_connection =
            spread(fleet->measured_per_healthy_connection(), report.measured_seconds);
    }
}

}  // namespace

RunReport run_load(const LoadOptions& options) {
    const auto start = Clock::now();
    RunReport report;
    report.options = options;
    report.symbols_per_user = options.symbols_per_user;

    const auto descriptors = static_cast<std::size_t>(options.users) +
                             static_cast<std::size_t>(options.http_concurrency) + 64;
    if (const auto warning = ensure_fd_limit(descriptors)) {
        note(start, "warning: " + *warning);
    }

    // Declared in this order so that the fleet goes before the io_contexts and the stats after.
    // One single-threaded io_context per thread: connections need no strands.
    RunStats stats;
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    std::vector<asio::io_context::executor_type> executors;
    for (int i = 0; i < options.threads; ++i) {
        contexts.push_back(std::make_unique<asio::io_context>(1));
        executors.push_back(contexts.back()->get_executor());
    }
    auto& main_context = *contexts.front();
    const StopAll stop_all{contexts};
    std::unique_ptr<WsFleet> fleet;

    ServerAddress server{{}, options.target.host_header};
    boost::system::error_code error;
    const auto resolved = asio::ip::tcp::resolver(main_context)
                              .resolve(options.target.host, options.target.port, error);
    if (error) {
        report.stop_reason =
            fmt::format("cannot resolve {}: {}", options.target.host, error.message());
        return report;
    }
    for (const auto& entry : resolved) {
        server.endpoints.push_back(entry.endpoint());
    }

    const auto whole_run = seconds(options.max_seconds);
    const auto close_budget = std::min<Clock::duration>(8s, whole_run / 4);
    RunContext run{options,     stats,
                   executors,   fleet,
                   report,      std::move(server),
                   start,       start + whole_run - close_budget,
                   close_budget};

    std::string failure_text;
    asio::co_spawn(main_context, orchestrate(run),
                   [stop_all, &failure_text](std::exception_ptr failure) {
                       if (failure) {
                           try {
                               std::rethrow_exception(failure);
                           } catch (const std::exception& e) {
                               failure_text = e.what();
                           }
                       }
                       stop_all();
                   });
    std::atomic<bool> out_of_time{false};
    asio::steady_timer watchdog(main_context, start + whole_run);
    watchdog.async_wait([stop_all, &out_of_time](boost::system::error_code timer_error) {
        if (!timer_error) {
            out_of_time = true;
            stop_all();
        }
    });
    asio::signal_set signals(main_context, SIGINT, SIGTERM);
    asio::co_spawn(main_context, watch_signals(signals, stats, stop_all, start), asio::detached);

    {
        // The other contexts wait for connections until the run stops them.
        std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
        std::vector<std::jthread> threads;
        for (std::size_t i = 1; i < contexts.size(); ++i) {
            keep_running.push_back(asio::make_work_guard(*contexts[i]));
            threads.emplace_back([&context = *contexts[i]] { context.run(); });
        }
        try {
            main_context.run();
        } catch (...) {
            stop_all();
            throw;
        }
    }

    report.interrupted = stats.stop_requested.load();
    if (!failure_text.empty()) {
        report.completed = false;
        report.stop_reason = "internal error: " + failure_text;
    } else if (out_of_time) {
        report.completed = false;
        report.stop_reason = "--max-seconds reached while closing";
    }
    fill_report(report, stats, fleet.get());
    report.total_seconds = seconds_since(start);
    return report;
}

}  // namespace botcore::load
