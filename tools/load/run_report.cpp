#include "run_report.hpp"

#include <fmt/format.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace botcore::load {

namespace {

std::uint64_t total(const ReasonMap& counts) {
    std::uint64_t sum = 0;
    for (const auto& [reason, n] : counts) {
        sum += n;
    }
    return sum;
}

std::string reasons(const ReasonMap& counts) {
    std::string text;
    for (const auto& [reason, n] : counts) {
        text += fmt::format("{}{}× {}", text.empty() ? "" : ", ", n, reason);
    }
    return text.empty() ? "none" : text;
}

std::string quantiles(const LatencySummary& s) {
    if (s.count == 0) {
        return "no samples";
    }
    return fmt::format("p50 {:.3f}  p90 {:.3f}  p99 {:.3f}  p99.9 {:.3f}  max {:.3f} ms (n={})",
                       s.p50_ms, s.p90_ms, s.p99_ms, s.p999_ms, s.max_ms, s.count);
}

using JsonWriter = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void write_latency(JsonWriter& json, const char* key, const LatencySummary& s) {
    json.Key(key);
    json.StartObject();
    json.Key("count");
    json.Uint64(s.count);
    json.Key("negative");
    json.Uint64(s.negative);
    const std::pair<const char*, double> figures[] = {
        {"min", s.min_ms}, {"mean", s.mean_ms}, {"p50", s.p50_ms}, {"p90", s.p90_ms},
        {"p99", s.p99_ms}, {"p999", s.p999_ms}, {"max", s.max_ms}};
    for (const auto& [name, value] : figures) {
        json.Key(name);
        json.Double(value);
    }
    json.EndObject();
}

void write_reasons(JsonWriter& json, const char* key, const ReasonMap& counts) {
    json.Key(key);
    json.StartObject();
    for (const auto& [reason, n] : counts) {
        json.Key(reason);
        json.Uint64(n);
    }
    json.EndObject();
}

void write_parameters(JsonWriter& json, const RunReport& report) {
    const auto& o = report.options;
    json.Key("parameters");
    json.StartObject();
    json.Key("url");
    json.String(o.url);
    json.Key("users");
    json.Int(o.users);
    json.Key("ramp_per_second");
    json.Double(o.ramp_per_second);
    json.Key("symbols_per_user");
    json.Int(report.symbols_per_user);
    json.Key("duration_s");
    json.Double(o.duration_s);
    json.Key("warmup_s");
    json.Double(o.warmup_s);
    json.Key("http_concurrency");
    json.Int(o.http_concurrency);
    json.Key("email_prefix");
    json.String(o.email_prefix);
    json.Key("no_auth");
    json.Bool(o.no_auth);
    json.Key("threads");
    json.Int(o.threads);
    json.Key("max_seconds");
    json.Double(o.max_seconds);
    json.Key("symbols");
    json.StartArray();
    for (const auto& symbol : report.symbols) {
        json.String(symbol);
    }
    json.EndArray();
    json.EndObject();
}

std::string to_json(const RunReport& r) {
    rapidjson::StringBuffer out;
    JsonWriter json(out);
    json.StartObject();
    json.Key("tool");
    json.String("botcore-load");
    write_parameters(json, r);
    json.Key("completed");
    json.Bool(r.completed);
    json.Key("interrupted");
    json.Bool(r.interrupted);
    json.Key("stop_reason");
    json.String(r.stop_reason);
    json.Key("exit_code");
    json.Int(r.exit_code());
    json.Key("total_seconds");
    json.Double(r.total_seconds);

    json.Key("sign_in");
    json.StartObject();
    json.Key("seconds");
    json.Double(r.sign_in_seconds);
    json.Key("users_per_second");
    json.Double(r.sign_in_seconds > 0 ? static_cast<double>(r.logged_in) / r.sign_in_seconds : 0);
    json.Key("registered");
    json.Uint64(r.registered);
    json.Key("already_registered");
    json.Uint64(r.already_registered);
    json.Key("logged_in");
    json.Uint64(r.logged_in);
    write_reasons(json, "failures", r.sign_in_failures);
    write_latency(json, "register_ms", r.register_ms);
    write_latency(json, "login_ms", r.login_ms);
    json.Key("symbols_fetch_ms");
    json.Double(r.symbols_fetch_ms);
    json.EndObject();

    json.Key("connections");
    json.StartObject();
    json.Key("ramp_seconds");
    json.Double(r.ramp_seconds);
    json.Key("attempted");
    json.Uint64(r.connect_attempts);
    json.Key("connected");
    json.Uint64(r.connected);
    json.Key("subscribed");
    json.Uint64(r.subscribed);
    json.Key("closed_cleanly");
    json.Uint64(r.closed_cleanly);
    json.Key("connect_failure_count");
    json.Uint64(total(r.connect_failures));
    write_reasons(json, "connect_failures", r.connect_failures);
    json.Key("unexpected_disconnect_count");
    json.Uint64(total(r.disconnects));
    write_reasons(json, "unexpected_disconnects", r.disconnects);
    write_reasons(json, "close_problems", r.close_problems);
    write_latency(json, "connect_to_subscribed_ms", r.connect_ms);
    json.EndObject();

    json.Key("measurement");
    json.StartObject();
    json.Key("warmup_seconds");
    json.Double(r.warmup_seconds);
    json.Key("seconds");
    json.Double(r.measured_seconds);
    json.Key("messages");
    json.Uint64(r.measured_messages);
    json.Key("messages_per_second");
    json.Double(r.messages_per_second);
    json.Key("bytes");
    json.Uint64(r.measured_bytes);
    json.Key("messages_all_phases");
    json.Uint64(r.messages);
    json.Key("per_connection_messages_per_second");
    json.StartObject();
    json.Key("connections");
    json.Uint64(r.per_connection.connections);
    json.Key("min");
    json.Double(r.per_connection.min);
    json.Key("mean");
    json.Double(r.per_connection.mean);
    json.Key("max");
    json.Double(r.per_connection.max);
    json.EndObject();
    write_latency(json, "latency_ms", r.latency_ms);
    json.Key("error_messages");
    json.Uint64(r.error_messages);
    write_reasons(json, "error_codes", r.error_codes);
    json.Key("other_messages");
    json.Uint64(r.other_messages);
    json.EndObject();

    json.EndObject();
    return {out.GetString(), out.GetSize()};
}

}  // namespace

int RunReport::exit_code() const {
    const bool clean = completed && total(sign_in_failures) == 0 && total(connect_failures) == 0 &&
                       total(disconnects) == 0 &&
                       subscribed == static_cast<std::uint64_t>(options.users);
    return clean ? 0 : 1;
}

void print_summary(const RunReport& r) {
    const auto& o = r.options;
    fmt::print(
        "botcore-load {}: {} users x {} of {} symbols, ramp {}/s, warm-up {} s, {} thread(s)\n",
        o.url, o.users, r.symbols_per_user, r.symbols.size(), o.ramp_per_second, o.warmup_s,
        o.threads);
    if (!o.no_auth) {
        fmt::print(
            "sign-in      {} of {} users in {:.2f} s ({:.1f} users/s; {} new, {} existing)\n",
            r.logged_in, o.users, r.sign_in_seconds,
            r.sign_in_seconds > 0 ? static_cast<double>(r.logged_in) / r.sign_in_seconds : 0.0,
            r.registered, r.already_registered);
        fmt::print("  register   {}\n", quantiles(r.register_ms));
        fmt::print("  login      {}\n", quantiles(r.login_ms));
        fmt::print("  failures   {}\n", reasons(r.sign_in_failures));
    }
    fmt::print("connections  {} subscribed, {} upgraded, {} attempted in {:.2f} s\n", r.subscribed,
               r.connected, r.connect_attempts, r.ramp_seconds);
    fmt::print("  to subscribed {}\n", quantiles(r.connect_ms));
    fmt::print("  failures   {}\n", reasons(r.connect_failures));
    fmt::print("measured     {:.2f} s: {} price messages, {:.0f} messages/s, {:.2f} MB/s\n",
               r.measured_seconds, r.measured_messages, r.messages_per_second,
               r.measured_seconds > 0
                   ? static_cast<double>(r.measured_bytes) / r.measured_seconds / 1e6
                   : 0.0);
    fmt::print("  per connection {:.2f} .. {:.2f} messages/s (mean {:.2f}, {} connections)\n",
               r.per_connection.min, r.per_connection.max, r.per_connection.mean,
               r.per_connection.connections);
    fmt::print("latency      {}\n", quantiles(r.latency_ms));
    if (r.latency_ms.negative > 0) {
        fmt::print("  {} samples were negative (clocks apart) and counted as 0\n",
                   r.latency_ms.negative);
    }
    fmt::print("errors       {} error messages ({}), {} other messages\n", r.error_messages,
               reasons(r.error_codes), r.other_messages);
    fmt::print("disconnects  {} unexpected ({})\n", total(r.disconnects), reasons(r.disconnects));
    fmt::print("closing      {} clean, problems: {}\n", r.closed_cleanly,
               reasons(r.close_problems));
    fmt::print("result       {} in {:.1f} s{}{}\n",
               r.exit_code() == 0 ? "OK" : (r.completed ? "COMPLETED WITH FAILURES" : "INCOMPLETE"),
               r.total_seconds, r.stop_reason.empty() ? "" : ": ", r.stop_reason);
}

std::expected<void, std::string> write_json_summary(const RunReport& report,
                                                    const std::string& path) {
    const auto text = to_json(report);
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "w"),
                                                               &std::fclose);
    if (!file) {
        return std::unexpected(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
    }
    if (std::fwrite(text.data(), 1, text.size(), file.get()) != text.size() ||
        std::fputc('\n', file.get()) == EOF || std::fflush(file.get()) != 0) {
        return std::unexpected(fmt::format("cannot write {}", path));
    }
    return {};
}

}  // namespace botcore::load
