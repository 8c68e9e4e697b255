#include "api/api_error.hpp"

#include "api/json.hpp"

namespace botcore::api {

namespace {
ApiError make(int status, std::string code, std::string message) {
    return ApiError{status,       std::move(code), std::move(message),
                    std::nullopt, std::nullopt,    std::nullopt};
}
}  // namespace

ApiError ApiError::bad_request(std::string message) {
    return make(400, "bad_request", std::move(message));
}
ApiError ApiError::validation(std::string field, std::string message) {
    auto error = make(422, "validation_failed", std::move(message));
    error.field = std::move(field);
    return error;
}
ApiError ApiError::unauthorized(std::string message) {
    return make(401, "unauthorized", std::move(message));
}
ApiError ApiError::forbidden(std::string message) {
    return make(403, "forbidden", std::move(message));
}
ApiError ApiError::not_found(std::string message) {
    return make(404, "not_found", std::move(message));
}
ApiError ApiError::method_not_allowed(std::string allow) {
    auto error = make(405, "method_not_allowed", "method not allowed; allowed: " + allow);
    error.allow = std::move(allow);
    return error;
}
ApiError ApiError::conflict(std::string message) {
    return make(409, "conflict", std::move(message));
}
ApiError ApiError::insufficient_margin(std::string message) {
    return make(422, "insufficient_margin", std::move(message));
}
ApiError ApiError::payload_too_large(std::string message) {
    return make(413, "payload_too_large", std::move(message));
}
ApiError ApiError::rate_limited(std::string message, int retry_after_s) {
    auto error = make(429, "rate_limited", std::move(message));
    error.retry_after_s = retry_after_s;
    return error;
}
ApiError ApiError::unavailable(std::string message) {
    return make(503, "unavailable", std::move(message));
}
ApiError ApiError::internal() {
    return make(500, "internal", "internal error; the request id identifies it in the logs");
}

HttpResponse error_response(const ApiError& error) {
    JsonWriter json;
    json.begin_object();
    json.key("error");
    json.begin_object();
    json.field("code", error.code);
    json.field("message", clip(error.message));
    if (error.field) {
        json.field("field", clip(*error.field));
    }
    json.end_object();
    json.end_object();
    auto response = json_response(error.status, json.take());
    if (error.retry_after_s) {
        response.headers.emplace_back("Retry-After", std::to_string(*error.retry_after_s));
    }
    if (error.allow) {
        response.headers.emplace_back("Allow", *error.allow);
    }
    return response;
}

}  // namespace botcore::api
