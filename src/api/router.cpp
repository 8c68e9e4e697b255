#include "api/router.hpp"

#include <atomic>

namespace botcore::api {

std::string_view PathParams::get(std::string_view name) const {
    for (const auto& [key, value] : values_) {
        if (key == name) {
            return value;
        }
    }
    return {};
}

struct Responder::State {
    explicit State(Callback c) : callback(std::move(c)) {}
    ~State() {
        if (!answered.exchange(true)) {
            callback(error_response(ApiError::internal()));
        }
    }
    Callback callback;
    std::atomic<bool> answered{false};
};

Responder::Responder(Callback callback) : state_(std::make_shared<State>(std::move(callback))) {}

void Responder::operator()(HttpResponse response) const {
    if (!state_->answered.exchange(true)) {
        state_->callback(std::move(response));
    }
}

void Router::add(Method method, std::string pattern, Execution execution, Handler handler) {
    routes_.push_back(
        Route{method, std::move(pattern), std::move(handler), execution, {}, nullptr});
}

void Router::add_async(Method method, std::string pattern, AsyncHandler handler) {
    routes_.push_back(
        Route{method, std::move(pattern), {}, Execution::kAsync, std::move(handler), nullptr});
}

namespace {

// Splits off the next segment of a path that starts with '/'.
std::string_view next_segment(std::string_view& rest) {
    rest.remove_prefix(1);
    const auto slash = rest.find('/');
    const auto segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
    return segment;
}

bool matches(std::string_view pattern, std::string_view path, PathParams& params) {
    while (!pattern.empty() && !path.empty()) {
        const auto want = next_segment(pattern);
        const auto have = next_segment(path);
        if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
            if (have.empty()) {
                return false;
            }
            params.add(want.substr(1, want.size() - 2), have);
        } else if (want != have) {
            return false;
        }
    }
    return pattern.empty() && path.empty();
}

}  // namespace

std::variant<RouteMatch, ApiError> Router::match(Method method, std::string_view path) const {
    std::string allowed;
    for (const auto& route : routes_) {
        PathParams params;
        if (!matches(route.pattern, path, params)) {
            continue;
        }
        // HEAD is GET without the body (the server leaves the body out).
        if (route.method == method || (method == Method::kHead && route.method == Method::kGet)) {
            return RouteMatch{&route, std::move(params)};
        }
        if (!allowed.empty()) {
            allowed += ", ";
        }
        allowed += to_string(route.method);
    }
    if (!allowed.empty()) {
        return ApiError::method_not_allowed(allowed);
    }
    return ApiError::not_found("no route for " + std::string(path));
}

}  // namespace botcore::api
