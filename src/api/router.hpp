// Maps (method, path) to a handler. Patterns are literal segments and {name} parameters:
// "/api/orders/{id}". A path that matches no pattern is 404; one that matches a pattern with
// other methods is 405 with the allowed methods.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "api/api_error.hpp"
#include "api/http_types.hpp"

namespace botcore::ops {
class RouteMetrics;
}

namespace botcore::api {

class PathParams {
  public:
    void add(std::string_view name, std::string_view value) { values_.emplace_back(name, value); }
    // The parameter's raw segment; empty if the pattern has no such parameter.
    std::string_view get(std::string_view name) const;

  private:
    std::vector<std::pair<std::string_view, std::string_view>> values_;
};

using Handler = std::function<HttpResponse(const HttpRequest&, const PathParams&)>;

// Answers an asynchronous request exactly once, from any thread. If it is destroyed without
// having answered (a bug, or an exception on the way), the request gets a 500 rather than
// hanging.
class Responder {
  public:
    using Callback = std::function<void(HttpResponse)>;
    explicit Responder(Callback callback);
    void operator()(HttpResponse response) const;

  private:
    struct State;
    std::shared_ptr<State> state_;
};

// Handlers whose answer waits on something else (a group commit): they return at once and
// answer through the Responder later.
using AsyncHandler = std::function<void(const HttpRequest&, const PathParams&, Responder)>;

// Where a handler runs: inline on the network thread (fast, never blocks), on the worker pool
// (touches the store, hashes passwords), or on the worker pool answering later (kAsync).
enum class Execution { kInline, kBlocking, kAsync };

struct Route {
    Method method;
    std::string pattern;
    Handler handler;
    Execution execution;
    AsyncHandler async_handler;
    ops::RouteMetrics* metrics = nullptr;  // set by whoever counts requests
};

struct RouteMatch {
    const Route* route = nullptr;
    PathParams params;  // views into the path and the route's pattern
};

class Router {
  public:
    void add(Method method, std::string pattern, Execution execution, Handler handler);
    void add_async(Method method, std::string pattern, AsyncHandler handler);
    // A route on `route`, or the error to answer (404 / 405).
    std::variant<RouteMatch, ApiError> match(Method method, std::string_view path) const;
    std::vector<Route>& routes() { return routes_; }

  private:
    std::vector<Route> routes_;
};

}  // namespace botcore::api
