#include "auth_client.hpp"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <exception>
#include <memory>
#include <optional>

namespace botcore::load {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

constexpr auto kRequestTimeout = std::chrono::seconds(30);
constexpr std::string_view kRegisterPath = "/api/auth/register";
constexpr std::string_view kLoginPath = "/api/auth/login";
constexpr std::string_view kSymbolsPath = "/api/market/symbols";
constexpr std::string_view kNoToken;

// g++ 12 destroys a temporary inside a co_await expression twice: every co_await here takes
// named values.

struct HttpReply {
    unsigned status = 0;
    std::string body;
};

std::int64_t us_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

std::string describe(const beast::error_code& error) {
    return error == beast::error::timeout ? std::string("timeout") : error.message();
}

// One keep-alive HTTP/1.1 connection, opened on first use and again after the server closes it.
class HttpSession {
  public:
    HttpSession(asio::any_io_executor executor, const ServerAddress& server)
        : stream_(std::move(executor)), server_(server) {}

    HttpSession(const HttpSession&) = delete;
    HttpSession& operator=(const HttpSession&) = delete;

    ~HttpSession() { close(); }

    awaitable<std::expected<HttpReply, std::string>> send(http::verb verb, std::string_view path,
                                                          const std::string& body,
                                                          std::string_view bearer_token,
                                                          Clock::time_point deadline) {
        http::request<http::string_body> request{verb, path, 11};
        request.set(http::field::host, server_.host_header);
        request.set(http::field::user_agent, "botcore-load");
        if (!bearer_token.empty()) {
            request.set(http::field::authorization, fmt::format("Bearer {}", bearer_token));
        }
        if (!body.empty()) {
            request.set(http::field::content_type, "application/json");
            request.body() = body;
        }
        request.keep_alive(true);
        request.prepare_payload();

        // A reused connection may have been closed by the server while idle: retry once on a
        // fresh one. Register is safe to repeat (409 then means it went through).
        for (int attempt = 0; attempt < 2; ++attempt) {
            const bool reused = open_;
            beast::error_code error;
            if (!open_) {
                error = co_await connect(deadline);
                if (error) {
                    co_return std::unexpected("connect: " + describe(error));
                }
            }
            stream_.expires_at(std::min(Clock::now() + kRequestTimeout, deadline));
            co_await http::async_write(stream_, request,
                                       asio::redirect_error(use_awaitable, error));
            http::response<http::string_body> response;
            if (!error) {
                co_await http::async_read(stream_, buffer_, response,
                                          asio::redirect_error(use_awaitable, error));
            }
            if (error) {
                close();
                if (reused && error != beast::error::timeout) {
                    continue;
                }
                co_return std::unexpected(describe(error));
            }
            if (!response.keep_alive()) {
                close();
            }
            co_return HttpReply{response.result_int(), std::move(response.body())};
        }
        co_return std::unexpected("connection closed twice");
    }

  private:
    awaitable<beast::error_code> connect(Clock::time_point deadline) {
        beast::error_code error;
        stream_.expires_at(std::min(Clock::now() + kRequestTimeout, deadline));
        co_await stream_.async_connect(server_.endpoints,
                                       asio::redirect_error(use_awaitable, error));
        if (!error) {
            stream_.socket().set_option(asio::ip::tcp::no_delay(true), error);
            open_ = !error;
        }
        co_return error;
    }

    void close() {
        if (!open_) {
            return;
        }
        beast::error_code ignored;
        stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        stream_.close();
        buffer_.clear();
        open_ = false;
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    const ServerAddress& server_;
    bool open_ = false;
};

std::string credentials_body(const std::string& email, const std::string& password,
                             std::optional<std::string> display_name) {
    rapidjson::StringBuffer out;
    rapidjson::Writer<rapidjson::StringBuffer> writer(out);
    writer.StartObject();
    writer.Key("email");
    writer.String(email);
    writer.Key("password");
    writer.String(password);
    if (display_name) {
        writer.Key("display_name");
        writer.String(*display_name);
    }
    writer.EndObject();
    return {out.GetString(), out.GetSize()};
}

std::optional<std::string> access_token_of(const std::string& body) {
    rapidjson::Document document;
    document.Parse(body.data(), body.size());
    if (document.HasParseError() || !document.IsObject()) {
        return std::nullopt;
    }
    const auto token = document.FindMember("access_token");
    if (token == document.MemberEnd() || !token->value.IsString() ||
        token->value.GetStringLength() == 0) {
        return std::nullopt;
    }
    return std::string(token->value.GetString(), token->value.GetStringLength());
}

// What the sign-in workers share; it lives as long as the last of them.
struct SignInShared {
    SignInShared(asio::any_io_executor executor, const ServerAddress& address,
                 const SignInPlan& sign_in, RunStats& run_stats)
        : server(address),
          plan(sign_in),
          stats(run_stats),
          tokens(static_cast<std::size_t>(sign_in.users)),
          all_done(std::move(executor), sign_in.deadline) {}

    ServerAddress server;
    SignInPlan plan;
    RunStats& stats;
    std::vector<std::string> tokens;
    int next_user = 0;
    int running = 0;
    bool abandoned = false;
    asio::steady_timer all_done;  // cancelled by the last worker to finish
};

awaitable<std::string> sign_in_one(HttpSession& session, SignInShared& shared, int index) {
    auto& stats = shared.stats;
    const auto email = fmt::format("{}-{}@load.test", shared.plan.email_prefix, index);

    auto body = credentials_body(email, shared.plan.password, fmt::format("load user {}", index));
    auto started = Clock::now();
    auto reply = co_await session.send(http::verb::post, kRegisterPath, body, kNoToken,
                                       shared.plan.deadline);
    if (!reply) {
        stats.sign_in_failures.add("register: " + reply.error());
        co_return std::string{};
    }
    stats.register_latency.record_us(us_since(started));
    if (reply->status == 201) {
        stats.registered.fetch_add(1, std::memory_order_relaxed);
    } else if (reply->status == 409) {
        stats.already_registered.fetch_add(1, std::memory_order_relaxed);
    } else {
        stats.sign_in_failures.add(fmt::format("register: http {}", reply->status));
        co_return std::string{};
    }

    body = credentials_body(email, shared.plan.password, std::nullopt);
    started = Clock::now();
    reply =
        co_await session.send(http::verb::post, kLoginPath, body, kNoToken, shared.plan.deadline);
    if (!reply) {
        stats.sign_in_failures.add("login: " + reply.error());
        co_return std::string{};
    }
    stats.login_latency.record_us(us_since(started));
    if (reply->status != 200) {
        stats.sign_in_failures.add(fmt::format("login: http {}", reply->status));
        co_return std::string{};
    }
    auto token = access_token_of(reply->body);
    if (!token) {
        stats.sign_in_failures.add("login: no access_token in the answer");
        co_return std::string{};
    }
    stats.logged_in.fetch_add(1, std::memory_order_relaxed);
    co_return std::move(*token);
}

awaitable<void> sign_in_worker(std::shared_ptr<SignInShared> shared) {
    const auto executor = co_await asio::this_coro::executor;
    HttpSession session(executor, shared->server);
    // Bounded by the number of users; each request by its timeout and the deadline.
    while (shared->next_user < shared->plan.users && !shared->abandoned &&
           !shared->stats.stop_requested.load() && Clock::now() < shared->plan.deadline) {
        const int index = shared->next_user++;
        auto token = co_await sign_in_one(session, *shared, index);
        shared->tokens[static_cast<std::size_t>(index)] = std::move(token);
    }
}

}  // namespace

awaitable<std::vector<std::string>> sign_in_users(const ServerAddress& server,
                                                  const SignInPlan& plan, RunStats& stats) {
    const auto executor = co_await asio::this_coro::executor;
    auto shared = std::make_shared<SignInShared>(executor, server, plan, stats);
    shared->running = std::max(1, std::min(plan.concurrency, plan.users));
    const int workers = shared->running;
    for (int i = 0; i < workers; ++i) {
        asio::co_spawn(executor, sign_in_worker(shared), [shared](std::exception_ptr failure) {
            if (failure) {
                try {
                    std::rethrow_exception(failure);
                } catch (const std::exception& error) {
                    shared->stats.sign_in_failures.add(fmt::format("worker: {}", error.what()));
                }
            }
            if (--shared->running == 0) {
                shared->all_done.cancel();
            }
        });
    }
    beast::error_code ignored;
    co_await shared->all_done.async_wait(asio::redirect_error(use_awaitable, ignored));
    // At the deadline the workers still running stop after their current request.
    shared->abandoned = true;
    co_return shared->tokens;
}

awaitable<std::expected<std::vector<std::string>, std::string>> fetch_symbols(
    const ServerAddress& server, const std::string& access_token, Clock::time_point deadline) {
    const auto executor = co_await asio::this_coro::executor;
    HttpSession session(executor, server);
    const std::string no_body;
    const auto reply =
        co_await session.send(http::verb::get, kSymbolsPath, no_body, access_token, deadline);
    if (!reply) {
        co_return std::unexpected(reply.error());
    }
    if (reply->status != 200) {
        co_return std::unexpected(
            fmt::format("http {}: {}", reply->status, reply->body.substr(0, 200)));
    }
    rapidjson::Document document;
    document.Parse(reply->body.data(), reply->body.size());
    if (document.HasParseError() || !document.IsObject()) {
        co_return std::unexpected("the answer is not a JSON object");
    }
    const auto list = document.FindMember("symbols");
    if (list == document.MemberEnd() || !list->value.IsArray()) {
        co_return std::unexpected("the answer has no \"symbols\" array");
    }
    std::vector<std::string> symbols;
    for (const auto& entry : list->value.GetArray()) {
        const rapidjson::Value* name = &entry;
        if (entry.IsObject()) {
            const auto member = entry.FindMember("symbol");
            name = member == entry.MemberEnd() ? nullptr : &member->value;
        }
        if (name != nullptr && name->IsString()) {
            symbols.emplace_back(name->GetString(), name->GetStringLength());
        }
    }
    if (symbols.empty()) {
        co_return std::unexpected("the \"symbols\" array names no symbol");
    }
    co_return symbols;
}

}  // namespace botcore::load
