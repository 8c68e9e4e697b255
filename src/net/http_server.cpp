#include "net/http_server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "api/api_error.hpp"
#include "net/websocket_session.hpp"
#include "ports/store.hpp"

namespace botcore::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

namespace {

api::Method to_method(http::verb verb) {
    switch (verb) {
        case http::verb::get:
            return api::Method::kGet;
        case http::verb::head:
            return api::Method::kHead;
        case http::verb::post:
            return api::Method::kPost;
        case http::verb::put:
            return api::Method::kPut;
        case http::verb::patch:
            return api::Method::kPatch;
        case http::verb::delete_:
            return api::Method::kDelete;
        case http::verb::options:
            return api::Method::kOptions;
        default:
            return api::Method::kOther;
    }
}

bool acceptable_request_id(std::string_view id) {
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
}

std::string json_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
                } else {
                    out += c;
                }
        }
    }
    return out;
}

// Runs fn on the worker pool and resumes the caller on its own executor with the result.
template <class Fn>
awaitable<api::HttpResponse> run_on(asio::thread_pool& pool, Fn fn) {
    return asio::async_initiate<decltype(use_awaitable), void(api::HttpResponse)>(
        [&pool, fn = std::move(fn)](auto handler) mutable {
            asio::post(pool, [handler = std::move(handler), fn = std::move(fn)]() mutable {
                api::HttpResponse result = fn();
                auto executor = asio::get_associated_executor(handler);
                asio::dispatch(
                    executor, [handler = std::move(handler), result = std::move(result)]() mutable {
                        handler(std::move(result));
                    });
            });
        },
        use_awaitable);
}

// The whole response in one buffer: one write, and none of the serializer's buffer sequences.
// Header values are ours (never echoed client text, except a validated request id).
// The answer to HEAD carries the headers of the answer to GET and no body.
std::string serialize(const api::HttpResponse& response, std::string_view request_id,
                      unsigned version, bool keep_alive, bool head) {
    std::string out;
    out.reserve(160 + response.body.size());
    const auto reason = http::obsolete_reason(static_cast<http::status>(response.status));
    fmt::format_to(std::back_inserter(out), "HTTP/{}.{} {} {}\r\nServer: botcore\r\n", version / 10,
                   version % 10, response.status, std::string_view(reason.data(), reason.size()));
    if (!response.content_type.empty()) {
        fmt::format_to(std::back_inserter(out), "Content-Type: {}\r\n", response.content_type);
    }
    fmt::format_to(std::back_inserter(out), "X-Request-Id: {}\r\n", request_id);
    for (const auto& [name, value] : response.headers) {
        fmt::format_to(std::back_inserter(out), "{}: {}\r\n", name, value);
    }
    if (response.status != 204 && response.status != 304) {
        fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", response.body.size());
    }
    if (!keep_alive) {
        out += "Connection: close\r\n";
    } else if (version < 11) {
        out += "Connection: keep-alive\r\n";
    }
    out += "\r\n";
    if (response.status != 204 && response.status != 304 && !head) {
        out += response.body;
    }
    return out;
}

struct Session {
    Session(tcp::socket socket, std::size_t shard_index)
        : stream(std::move(socket)), shard(shard_index) {}
    beast::tcp_stream stream;
    std::size_t shard;  // the index of the io_context (and hub shard) it runs on
    bool idle = false;  // waiting for a request with nothing buffered; touched on its thread only
};

}  // namespace

struct HttpServer::Impl {
    Impl(ServerLimits limits_in, api::Router& router_in, ops::MetricsRegistry& metrics_in,
         ops::InstanceState& instance_in, std::shared_ptr<spdlog::logger> log_in,
         bool access_log_in, WebSocketSettings websocket, TokenCheck check_token)
        : limits(limits_in),
          router(router_in),
          metrics(metrics_in),
          instance(instance_in),
          log(std::move(log_in)),
          access_log(access_log_in),
          contexts(make_contexts(std::max(1, limits.threads))),
          ioc(*contexts.front()),
          workers(static_cast<std::size_t>(std::max(1, limits.worker_threads))),
          acceptor(ioc),
          signals(ioc, SIGINT, SIGTERM),
          unmatched(metrics.route("unmatched")),
          hub(shard_posts(contexts), websocket.max_connections_per_user),
          ws_context{hub, std::move(check_token), websocket, instance, log, ws_counters} {}

    awaitable<void> accept_loop();
    awaitable<void> serve(std::shared_ptr<Session> session);
    awaitable<api::HttpResponse> dispatch(api::HttpRequest& request,
                                          ops::RouteMetrics*& route_metrics);
    api::HttpResponse invoke(const api::Route& route, const api::HttpRequest& request,
                             const api::PathParams& params);
    api::HttpResponse failure(const api::HttpRequest& request, std::exception_ptr error);
    void refuse(tcp::socket& socket);
    void on_signal(const boost::system::error_code& ec, int signal_number);
    void stop_accepting();
    void check_stopped();
    void stop_all() {
        for (auto& context : contexts) {
            context->stop();
        }
    }
    static std::vector<std::unique_ptr<asio::io_context>> make_contexts(int count) {
        std::vector<std::unique_ptr<asio::io_context>> out;
        for (int i = 0; i < count; ++i) {
            out.push_back(std::make_unique<asio::io_context>(1));
        }
        return out;
    }
    std::string next_request_id();
    static std::vector<realtime::Hub::Post> shard_posts(
        const std::vector<std::unique_ptr<asio::io_context>>& contexts) {
        std::vector<realtime::Hub::Post> posts;
        for (const auto& context : contexts) {
            posts.emplace_back([executor = context->get_executor()](realtime::Hub::Task task) {
                asio::post(executor, std::move(task));
            });
        }
        return posts;
    }

    ServerLimits limits;
    api::Router& router;
    ops::MetricsRegistry& metrics;
    ops::InstanceState& instance;
    std::shared_ptr<spdlog::logger> log;
    bool access_log;

    // One io_context per network thread: a connection lives on one thread, so its handlers
    // need no strand and the scheduler no cross-thread locking.
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    asio::io_context& ioc;  // the first: acceptor, signals, shutdown timer
    std::size_t next_context = 0;
    asio::thread_pool workers;
    tcp::acceptor acceptor;
    asio::signal_set signals;
    ops::RouteMetrics& unmatched;
    std::atomic<std::uint64_t> request_seq{0};
    std::atomic<bool> stopping{false};

    std::mutex sessions_mutex;
    std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
    std::unique_ptr<asio::steady_timer> shutdown_timer;
    std::chrono::steady_clock::time_point shutdown_deadline;

    realtime::Hub hub;
    WebSocketCounters ws_counters;
    WebSocketContext ws_context;
};

HttpServer::HttpServer(ServerLimits limits, api::Router& router, ops::MetricsRegistry& metrics,
                       ops::InstanceState& instance, std::shared_ptr<spdlog::logger> log,
                       bool access_log, WebSocketSettings websocket, TokenCheck check_token)
    : impl_(std::make_unique<Impl>(limits, router, metrics, instance, std::move(log), access_log,
                                   websocket, std::move(check_token))) {}

realtime::Hub& HttpServer::hub() {
    return impl_->hub;
}

const WebSocketCounters& HttpServer::websocket_counters() const {
    return impl_->ws_counters;
}

const realtime::Hub::Counters& HttpServer::hub_counters() const {
    return impl_->hub.counters();
}

HttpServer::~HttpServer() = default;

std::expected<std::string, std::string> HttpServer::bind(std::string_view listen) {
    const auto colon = listen.rfind(':');
    if (colon == std::string_view::npos) {
        return std::unexpected(fmt::format("'{}' is not HOST:PORT", listen));
    }
    std::string host(listen.substr(0, colon));
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    const std::string port(listen.substr(colon + 1));
    boost::system::error_code ec;
    tcp::resolver resolver(impl_->ioc);
    const auto results = resolver.resolve(host, port, tcp::resolver::passive, ec);
    if (ec || results.empty()) {
        return std::unexpected(fmt::format("cannot resolve '{}': {}", listen, ec.message()));
    }
    const tcp::endpoint endpoint = *results.begin();
    auto& acceptor = impl_->acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        acceptor.bind(endpoint, ec);
    }
    if (!ec) {
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        return std::unexpected(fmt::format("cannot listen on {}: {}", listen, ec.message()));
    }
    const auto bound = acceptor.local_endpoint();
    return bound.address().is_v6()
               ? fmt::format("[{}]:{}", bound.address().to_string(), bound.port())
               : fmt::format("{}:{}", bound.address().to_string(), bound.port());
}

void HttpServer::run() {
    auto& impl = *impl_;
    for (auto& route : impl.router.routes()) {
        route.metrics = &impl.metrics.route(route.pattern);
    }
    asio::co_spawn(impl.ioc, impl.accept_loop(), asio::detached);
    impl.signals.async_wait([&impl](auto ec, int sig) { impl.on_signal(ec, sig); });
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < impl.contexts.size(); ++i) {
        threads.emplace_back([&impl, i] {
            auto guard = asio::make_work_guard(*impl.contexts[i]);
            impl.contexts[i]->run();
        });
    }
    impl.ioc.run();
    impl.stop_all();
    for (auto& thread : threads) {
        thread.join();
    }
    impl.workers.join();
}

void HttpServer::Impl::on_signal(const boost::system::error_code& ec, int signal_number) {
    if (ec) {
        return;
    }
    if (instance.draining.exchange(true)) {
        log->warn(R"("msg":"second signal: stopping now","signal":{})", signal_number);
        stop_all();
        return;
    }
    log->info(R"("msg":"draining","signal":{},"grace_s":{})", signal_number,
              limits.drain_grace.count());
    signals.async_wait([this](auto next_ec, int next) { on_signal(next_ec, next); });
    shutdown_deadline =
        std::chrono::steady_clock::now() + limits.drain_grace + limits.shutdown_timeout;
    shutdown_timer = std::make_unique<asio::steady_timer>(ioc, limits.drain_grace);
    shutdown_timer->async_wait([this](auto timer_ec) {
        if (!timer_ec) {
            stop_accepting();
        }
    });
}

void HttpServer::Impl::stop_accepting() {
    stopping = true;
    boost::system::error_code ignored;
    acceptor.close(ignored);
    hub.close_all_for_restart();
    std::lock_guard lock(sessions_mutex);
    for (auto& [raw, weak] : sessions) {
        if (auto session = weak.lock()) {
            asio::post(session->stream.get_executor(), [session] {
                if (session->idle) {
                    session->stream.socket().close();
                }
            });
        }
    }
    check_stopped();
}

void HttpServer::Impl::check_stopped() {
    // Called with sessions_mutex held.
    const bool timed_out = std::chrono::steady_clock::now() >= shutdown_deadline;
    if ((sessions.empty() && instance.ws_connections.load() == 0) || timed_out) {
        if (timed_out) {
            log->warn(R"("msg":"shutdown timeout: closing {} connections")",
                      sessions.size() + static_cast<std::size_t>(instance.ws_connections.load()));
        }
        log->info(R"("msg":"stopped")");
        stop_all();
        return;
    }
    shutdown_timer->expires_after(std::chrono::milliseconds(50));
    shutdown_timer->async_wait([this](auto ec) {
        if (!ec) {
            std::lock_guard lock(sessions_mutex);
            check_stopped();
        }
    });
}

std::string HttpServer::Impl::next_request_id() {
    return fmt::format("{}-{:x}", instance.instance_id,
                       request_seq.fetch_add(1, std::memory_order_relaxed));
}

void HttpServer::Impl::refuse(tcp::socket& socket) {
    static constexpr std::string_view kBody =
        R"({"error":{"code":"unavailable","message":"too many connections to this instance"}})";
    const std::string response = fmt::format(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
        "Connection: close\r\nContent-Length: {}\r\n\r\n{}",
        kBody.size(), kBody);
    boost::system::error_code ec;
    socket.non_blocking(true, ec);
    socket.write_some(asio::buffer(response), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
}

awaitable<void> HttpServer::Impl::accept_loop() {
    for (;;) {
        boost::system::error_code ec;
        const std::size_t shard = next_context++ % contexts.size();
        tcp::socket socket = co_await acceptor.async_accept(
            *contexts[shard], asio::redirect_error(use_awaitable, ec));
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
            co_return;
        }
        if (ec) {
            // Out of descriptors or memory: back off instead of spinning on the error.
            log->error(R"("msg":"accept failed","error":"{}")", json_escape(ec.message()));
            asio::steady_timer pause(ioc, std::chrono::milliseconds(100));
            co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
            continue;
        }
        if (instance.http_connections.load() + instance.ws_connections.load() >=
            limits.max_connections) {
            refuse(socket);
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        auto session = std::make_shared<Session>(std::move(socket), shard);
        auto executor = session->stream.get_executor();
        asio::co_spawn(executor, serve(std::move(session)), asio::detached);
    }
}

api::HttpResponse HttpServer::Impl::invoke(const api::Route& route, const api::HttpRequest& request,
                                           const api::PathParams& params) {
    try {
        return route.handler(request, params);
    } catch (...) {
        return failure(request, std::current_exception());
    }
}

// An exception out of a handler: the store being unreachable is a 503, anything else a bug
// (500). Either way the client gets the contract's error and the log gets the cause.
api::HttpResponse HttpServer::Impl::failure(const api::HttpRequest& request,
                                            std::exception_ptr error) {
    try {
        std::rethrow_exception(error);
    } catch (const ports::StoreUnavailable& e) {
        log->error(R"("msg":"store unavailable","request_id":"{}","error":"{}")",
                   request.request_id, json_escape(e.what()));
        return api::error_response(
            api::ApiError::unavailable("the store is unavailable; retry later"));
    } catch (const std::exception& e) {
        log->error(R"("msg":"handler failed","request_id":"{}","error":"{}")", request.request_id,
                   json_escape(e.what()));
    } catch (...) {
        log->error(R"("msg":"handler failed","request_id":"{}")", request.request_id);
    }
    return api::error_response(api::ApiError::internal());
}

awaitable<api::HttpResponse> HttpServer::Impl::dispatch(api::HttpRequest& request,
                                                        ops::RouteMetrics*& route_metrics) {
    auto match = router.match(request.method, request.path);
    if (auto* error = std::get_if<api::ApiError>(&match)) {
        route_metrics = &unmatched;
        co_return api::error_response(*error);
    }
    auto& found = std::get<api::RouteMatch>(match);
    route_metrics = found.route->metrics;
    if (found.route->execution == api::Execution::kInline) {
        co_return invoke(*found.route, request, found.params);
    }
    if (found.route->execution == api::Execution::kBlocking) {
        co_return co_await run_on(workers, [this, &found, &request] {
            return invoke(*found.route, request, found.params);
        });
    }
    // kAsync: the handler starts on the worker pool and answers whenever its work completes
    // (a group commit), from whichever thread that is; the answer is posted back here.
    co_return co_await asio::async_initiate<decltype(use_awaitable), void(api::HttpResponse)>(
        [this, &found, &request](auto handler) {
            auto executor = asio::get_associated_executor(handler);
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            api::Responder respond([shared, executor](api::HttpResponse response) {
                asio::post(executor, [shared, response = std::move(response)]() mutable {
                    (*shared)(std::move(response));
                });
            });
            asio::post(workers, [this, &found, &request, respond] {
                try {
                    found.route->async_handler(request, found.params, respond);
                } catch (...) {
                    respond(failure(request, std::current_exception()));
                }
            });
        },
        use_awaitable);
}

awaitable<void> HttpServer::Impl::serve(std::shared_ptr<Session> session) {
    {
        std::lock_guard lock(sessions_mutex);
        sessions.emplace(session.get(), session);
    }
    instance.http_connections.fetch_add(1);
    boost::system::error_code ec;
    const auto remote = session->stream.socket().remote_endpoint(ec);
    const std::string remote_ip = ec ? std::string{} : remote.address().to_string();
    auto& stream = session->stream;
    beast::flat_buffer buffer;
    bool first = true;
    bool linger = false;    // the peer may still be sending a body we refused
    bool upgraded = false;  // the stream now belongs to a WebSocket session

    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(static_cast<std::uint64_t>(limits.body_limit_bytes));
        parser.header_limit(16 * 1024);
        session->idle = buffer.size() == 0;
        if (stopping && session->idle) {
            break;
        }
        stream.expires_after(first ? limits.request_timeout : limits.idle_timeout);
        co_await http::async_read_header(stream, buffer, parser,
                                         asio::redirect_error(use_awaitable, ec));
        session->idle = false;
        const auto started = std::chrono::steady_clock::now();

        std::optional<api::ApiError> early_error;
        if (!ec) {
            auto& header = parser.get();
            stream.expires_after(limits.request_timeout);
            if (beast::iequals(header[http::field::expect], "100-continue") && !parser.is_done()) {
                static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
                co_await asio::async_write(stream, asio::buffer(kContinue),
                                           asio::redirect_error(use_awaitable, ec));
            }
            if (!ec && !parser.is_done()) {
                co_await http::async_read(stream, buffer, parser,
                                          asio::redirect_error(use_awaitable, ec));
            }
        }
        if (ec == http::error::body_limit) {
            early_error = api::ApiError::payload_too_large(
                fmt::format("the body is larger than {} bytes", limits.body_limit_bytes));
            linger = true;
        } else if (ec == http::error::header_limit) {
            early_error = api::ApiError::bad_request("the request header is too large");
            linger = true;
        } else if (ec &&
                   ec.category() == http::make_error_code(http::error::bad_target).category() &&
                   ec != http::error::end_of_stream && ec != http::error::partial_message) {
            early_error = api::ApiError::bad_request("malformed HTTP request: " + ec.message());
            linger = true;
        } else if (ec) {
            break;  // closed, reset or timed out: nobody to answer
        }

        api::HttpRequest request;
        api::HttpResponse response;
        ops::RouteMetrics* route_metrics = &unmatched;
        unsigned version = 11;
        bool keep_alive = false;
        request.remote_ip = remote_ip;
        if (early_error) {
            request.request_id = next_request_id();
            response = api::error_response(*early_error);
            response.close = true;
        } else {
            auto message = parser.release();
            version = message.version();
            keep_alive = message.keep_alive();
            request.method = to_method(message.method());
            request.target = std::string(message.target());
            const auto question = request.target.find('?');
            request.path = request.target.substr(0, question);
            request.query =
                question == std::string::npos ? std::string{} : request.target.substr(question + 1);
            std::string forwarded_for;
            for (const auto& field : message) {
                std::string name(field.name_string());
                std::transform(name.begin(), name.end(), name.begin(),
                               [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
                if (name == "x-forwarded-for") {
                    forwarded_for += forwarded_for.empty() ? "" : ",";
                    forwarded_for += field.value();
                }
                request.headers.emplace_back(std::move(name), std::string(field.value()));
            }
            request.body = std::move(message.body());
            if (!limits.trusted_proxies.empty()) {
                request.remote_ip = limits.trusted_proxies.client_address(remote_ip, forwarded_for);
            }
            const auto given_id = request.header("x-request-id");
            request.request_id = given_id && acceptable_request_id(*given_id)
                                     ? std::string(*given_id)
                                     : next_request_id();
            if (request.path == "/ws" && (stopping || instance.draining)) {
                response = api::error_response(
                    api::ApiError::unavailable("this instance is draining; connect to another"));
            } else if (request.path == "/ws" && !beast::websocket::is_upgrade(message)) {
                response = api::error_response(
                    api::ApiError::bad_request("/ws expects a WebSocket upgrade request"));
            } else if (request.path == "/ws") {
                auto refused = upgrade_to_websocket(stream, std::move(message), request, ws_context,
                                                    session->shard);
                if (!refused) {
                    upgraded = true;
                    break;
                }
                response = std::move(*refused);
            } else {
                instance.http_in_flight.fetch_add(1);
                if (request.path.empty() || request.path.front() != '/') {
                    response = api::error_response(
                        api::ApiError::bad_request("the target must be an absolute path"));
                } else {
                    response = co_await dispatch(request, route_metrics);
                }
                instance.http_in_flight.fetch_sub(1);
            }
        }

        keep_alive = keep_alive && !response.close && !stopping && !instance.draining;
        const std::string wire = serialize(response, request.request_id, version, keep_alive,
                                           request.method == api::Method::kHead);
        co_await asio::async_write(stream, asio::buffer(wire),
                                   asio::redirect_error(use_awaitable, ec));

        const auto elapsed = std::chrono::steady_clock::now() - started;
        route_metrics->record(response.status, elapsed);
        if (access_log) {
            log->info(
                R"("msg":"request","request_id":"{}","method":"{}","path":"{}","route":"{}","status":{},"duration_us":{},"ip":"{}")",
                json_escape(request.request_id), api::to_string(request.method),
                json_escape(request.path), json_escape(route_metrics->route()), response.status,
                std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count(),
                json_escape(request.remote_ip));
        }
        if (ec || !keep_alive) {
            break;
        }
        first = false;
    }

    if (upgraded) {
        instance.http_connections.fetch_sub(1);
        std::lock_guard lock(sessions_mutex);
        sessions.erase(session.get());
        co_return;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (linger && stream.socket().is_open()) {
        // Read what the client still sends (bounded), so closing does not reset the connection
        // before it has read our answer.
        stream.expires_after(std::chrono::seconds(2));
        std::array<char, 16384> sink{};
        std::size_t drained = 0;
        while (drained < (4u << 20)) {
            const auto n = co_await stream.async_read_some(asio::buffer(sink),
                                                           asio::redirect_error(use_awaitable, ec));
            if (ec) {
                break;
            }
            drained += n;
        }
    }
    stream.socket().close(ec);
    instance.http_connections.fetch_sub(1);
    std::lock_guard lock(sessions_mutex);
    sessions.erase(session.get());
}

}  // namespace botcore::net
