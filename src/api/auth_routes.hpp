// /api/auth/*: register, login, refresh, logout, me, password.
#pragma once

#include <expected>

#include "api/api_error.hpp"
#include "api/router.hpp"
#include "auth/auth_service.hpp"

namespace botcore::api {

void add_auth_routes(Router& router, auth::AuthService& auth);

// The caller's identity from the Authorization header, or the 401 to answer.
std::expected<auth::Identity, ApiError> authenticate(const auth::AuthService& auth,
                                                     const HttpRequest& request);

// Authenticates, then calls handle(user_id); answers 401 itself.
template <class Handle>
AsyncHandler authenticated(auth::AuthService& auth, Handle handle) {
    return
        [&auth, handle](const HttpRequest& request, const PathParams& params, Responder respond) {
            auto identity = authenticate(auth, request);
            if (!identity) {
                respond(error_response(identity.error()));
                return;
            }
            handle(identity->user_id, request, params, respond);
        };
}

ApiError to_api_error(const auth::AuthError& error);

}  // namespace botcore::api
