// The HTTP request and response as routes see them: plain values, no Beast types, so routes
// and their tests compile without the networking stack.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace botcore::api {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };
std::string_view to_string(Method method);

struct HttpRequest {
    Method method = Method::kGet;
    std::string target;  // path and query as received
    std::string path;
    std::string query;                                         // without '?'
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::string body;
    std::string remote_ip;
    std::string request_id;

    std::optional<std::string_view> header(std::string_view lower_name) const;
    std::optional<std::string> query_param(std::string_view name) const;  // percent-decoded
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    bool close = false;  // close the connection after this response
};

HttpResponse json_response(int status, std::string body);
HttpResponse no_content();

}  // namespace botcore::api
