// The one error type of the API edge: a status code and the contract's error JSON.
#pragma once

#include <optional>
#include <string>

#include "api/http_types.hpp"

namespace botcore::api {

struct ApiError {
    int status = 400;
    std::string code;                  // contract code: bad_request, validation_failed, ...
    std::string message;               // for humans
    std::optional<std::string> field;  // with validation_failed
    std::optional<int> retry_after_s;  // with rate_limited / unavailable
    std::optional<std::string> allow;  // with method_not_allowed

    static ApiError bad_request(std::string message);
    static ApiError validation(std::string field, std::string message);
    static ApiError unauthorized(std::string message = "authentication required");
    static ApiError forbidden(std::string message);
    static ApiError not_found(std::string message = "no such resource");
    static ApiError method_not_allowed(std::string allow);
    static ApiError conflict(std::string message);
    static ApiError insufficient_margin(std::string message);
    static ApiError payload_too_large(std::string message);
    static ApiError rate_limited(std::string message, int retry_after_s);
    static ApiError unavailable(std::string message);
    static ApiError internal();
};

HttpResponse error_response(const ApiError& error);

}  // namespace botcore::api
