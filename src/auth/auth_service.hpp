// Registration, login with lockout, token refresh and revocation, password change.
// Slow (Argon2id): call from the worker pool, not a network thread — except authenticate(),
// which only verifies a signature and looks in the revocation list.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "auth/bounded_cache.hpp"
#include "auth/jwt.hpp"
#include "auth/lockout.hpp"
#include "auth/password.hpp"
#include "auth/revocation_list.hpp"
#include "domain/decimal.hpp"
#include "ports/clock.hpp"
#include "ports/ids.hpp"
#include "ports/store.hpp"

namespace botcore::auth {

struct AuthSettings {
    std::int64_t access_ttl_s = 86400;
    std::int64_t refresh_ttl_s = 7 * 86400;
    int password_min_length = 12;
    LockoutPolicy lockout;
    PasswordCost password_cost;
    domain::Decimal initial_balance = domain::Decimal::from_integer(10000);
};

enum class AuthErrorKind {
    kInvalidEmail,        // 422 field email
    kInvalidPassword,     // 422 field password / new_password
    kInvalidDisplayName,  // 422 field display_name
    kEmailTaken,          // 409
    kBadCredentials,      // 401
    kLocked,              // 429 with retry_after_s
    kBadToken,            // 401
    kWrongPassword,       // 403 (password change with a wrong current password)
};

struct AuthError {
    AuthErrorKind kind;
    std::string message;
    std::string field;
    std::int64_t retry_after_s = 0;
};

struct TokenPair {
    std::string access_token;
    std::string refresh_token;
    std::int64_t expires_in_s = 0;
    ports::User user;
};

struct Identity {
    std::string user_id;
    std::string jti;
    std::int64_t expires_s = 0;
};

class AuthService {
  public:
    AuthService(ports::Store& store, const ports::Clock& clock, RevocationList& revocations,
                const JwtCodec& jwt, AuthSettings settings);

    std::expected<ports::User, AuthError> register_user(
        std::string_view email, std::string_view password,
        std::optional<std::string_view> display_name, std::string_view ip);
    std::expected<TokenPair, AuthError> login(std::string_view email, std::string_view password,
                                              std::string_view ip);
    std::expected<TokenPair, AuthError> refresh(std::string_view refresh_token);
    void logout(const Identity& identity, std::string_view ip);
    std::expected<void, AuthError> change_password(const Identity& identity,
                                                   std::string_view current_password,
                                                   std::string_view new_password,
                                                   std::string_view ip);
    // From the Authorization header value ("Bearer <token>").
    std::expected<Identity, AuthError> authenticate(std::string_view authorization) const;
    std::expected<Identity, AuthError> authenticate_token(std::string_view token) const;
    // Whether a token authenticated earlier (by its id and expiry) is still neither expired nor
    // revoked.
    bool token_holds(std::string_view jti, std::int64_t expires_s) const;
    // The user record, from memory after the first read (user records do not change).
    std::optional<ports::User> user(std::string_view user_id) const;

    // Lower-cased, trimmed email, or nullopt if it is not a plausible address.
    static std::optional<std::string> normalize_email(std::string_view email);

  private:
    // Checks a password where the account's lockout applies: every wrong password counts
    // towards it, at login or at a password change. Nothing when right, else wrong or locked.
    std::optional<AuthError> verify_with_lockout(const ports::Credentials& credentials,
                                                 std::string_view password, std::string_view ip,
                                                 std::string_view failure_event, AuthError wrong);
    std::expected<void, AuthError> check_password_policy(std::string_view password,
                                                         std::string_view field) const;
    TokenPair issue_tokens(const ports::User& user, ports::RefreshToken& refresh_row) const;

    ports::Store& store_;
    const ports::Clock& clock_;
    RevocationList& revocations_;
    const JwtCodec& jwt_;
    AuthSettings settings_;
    std::string dummy_hash_;  // verified against for unknown emails, so timing reveals nothing
    // Signature checks are the main cost of an authenticated request; a token is verified once.
    // Expiry and revocation are still checked on every use.
    mutable BoundedCache<AccessClaims> verified_tokens_{16384};
    mutable BoundedCache<ports::User> users_{16384};
    ports::IdGenerator ids_;
};

}  // namespace botcore::auth
