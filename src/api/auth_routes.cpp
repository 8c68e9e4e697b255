#include "api/auth_routes.hpp"

#include "api/json.hpp"

namespace botcore::api {

namespace {

void write_user(JsonWriter& json, const ports::User& user) {
    json.key("user");
    json.begin_object();
    json.field("id", user.id);
    json.field("email", user.email);
    json.field("display_name", user.display_name);
    json.field("created_ms", user.created_ms);
    json.end_object();
}

HttpResponse user_response(int status, const ports::User& user) {
    JsonWriter json;
    json.begin_object();
    write_user(json, user);
    json.end_object();
    return json_response(status, json.take());
}

HttpResponse tokens_response(const auth::TokenPair& pair) {
    JsonWriter json;
    json.begin_object();
    json.field("access_token", pair.access_token);
    json.field("refresh_token", pair.refresh_token);
    json.field("expires_in", pair.expires_in_s);
    json.field("token_type", "Bearer");
    write_user(json, pair.user);
    json.end_object();
    return json_response(200, json.take());
}

}  // namespace

ApiError to_api_error(const auth::AuthError& error) {
    using Kind = auth::AuthErrorKind;
    switch (error.kind) {
        case Kind::kInvalidEmail:
        case Kind::kInvalidPassword:
        case Kind::kInvalidDisplayName:
            return ApiError::validation(error.field, error.message);
        case Kind::kEmailTaken:
            return ApiError::conflict(error.message);
        case Kind::kBadCredentials:
        case Kind::kBadToken:
            return ApiError::unauthorized(error.message);
        case Kind::kLocked:
            return ApiError::rate_limited(error.message, static_cast<int>(error.retry_after_s));
        case Kind::kWrongPassword:
            return ApiError::forbidden(error.message);
    }
    return ApiError::internal();
}

std::expected<auth::Identity, ApiError> authenticate(const auth::AuthService& auth,
                                                     const HttpRequest& request) {
    const auto header = request.header("authorization");
    if (!header) {
        return std::unexpected(ApiError::unauthorized("missing 'Authorization: Bearer <token>'"));
    }
    auto identity = auth.authenticate(*header);
    if (!identity) {
        return std::unexpected(to_api_error(identity.error()));
    }
    return std::move(*identity);
}

void add_auth_routes(Router& router, auth::AuthService& auth) {
    router.add(Method::kPost, "/api/auth/register", Execution::kBlocking,
               [&auth](const HttpRequest& request, const PathParams&) {
                   JsonFields body(request.body, {"email", "password", "display_name"});
                   auto email = body.required_string("email");
                   auto password = body.required_string("password");
                   auto display_name = body.optional_string("display_name");
                   if (body.error()) {
                       return error_response(*body.error());
                   }
                   auto user = auth.register_user(email, password, display_name, request.remote_ip);
                   return user ? user_response(201, *user)
                               : error_response(to_api_error(user.error()));
               });

    router.add(Method::kPost, "/api/auth/login", Execution::kBlocking,
               [&auth](const HttpRequest& request, const PathParams&) {
                   JsonFields body(request.body, {"email", "password"});
                   auto email = body.required_string("email");
                   auto password = body.required_string("password");
                   if (body.error()) {
                       return error_response(*body.error());
                   }
                   auto pair = auth.login(email, password, request.remote_ip);
                   return pair ? tokens_response(*pair)
                               : error_response(to_api_error(pair.error()));
               });

    router.add(Method::kPost, "/api/auth/refresh", Execution::kBlocking,
               [&auth](const HttpRequest& request, const PathParams&) {
                   JsonFields body(request.body, {"refresh_token"});
                   auto token = body.required_string("refresh_token");
                   if (body.error()) {
                       return error_response(*body.error());
                   }
                   auto pair = auth.refresh(token);
                   return pair ? tokens_response(*pair)
                               : error_response(to_api_error(pair.error()));
               });

    router.add(Method::kPost, "/api/auth/logout", Execution::kBlocking,
               [&auth](const HttpRequest& request, const PathParams&) {
                   auto identity = authenticate(auth, request);
                   if (!identity) {
                       return error_response(identity.error());
                   }
                   if (!request.body.empty()) {
                       JsonFields body(request.body, {});
                       if (body.error()) {
                           return error_response(*body.error());
                       }
                   }
                   auth.logout(*identity, request.remote_ip);
                   return no_content();
               });

    router.add(Method::kGet, "/api/auth/me", Execution::kInline,
               [&auth](const HttpRequest& request, const PathParams&) {
                   auto identity = authenticate(auth, request);
                   if (!identity) {
                       return error_response(identity.error());
                   }
                   auto user = auth.user(identity->user_id);
                   return user
                              ? user_response(200, *user)
                              : error_response(ApiError::unauthorized("the user no longer exists"));
               });

    router.add(Method::kPost, "/api/auth/password", Execution::kBlocking,
               [&auth](const HttpRequest& request, const PathParams&) {
                   auto identity = authenticate(auth, request);
                   if (!identity) {
                       return error_response(identity.error());
                   }
                   JsonFields body(request.body, {"current_password", "new_password"});
                   auto current = body.required_string("current_password");
                   auto next = body.required_string("new_password");
                   if (body.error()) {
                       return error_response(*body.error());
                   }
                   auto changed = auth.change_password(*identity, current, next, request.remote_ip);
                   return changed ? no_content() : error_response(to_api_error(changed.error()));
               });
}

}  // namespace botcore::api
