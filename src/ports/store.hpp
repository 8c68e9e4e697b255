// The durable store the core needs: users, sessions, accounts and the audit log. Adapters
// (sqlite/, later postgres/) implement it; each call is one transaction.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "auth/lockout.hpp"
#include "domain/decimal.hpp"

namespace botcore::ports {

struct User {
    std::string id;
    std::string email;
    std::string display_name;
    std::int64_t created_ms = 0;
};

struct Credentials {
    User user;
    std::string password_hash;
    auth::LoginState login;
};

struct AuditEvent {
    std::string user_id;  // empty when no user is known (a login for an unknown email)
    std::string ip;
    std::string action;  // register, login, login_failed, lockout, logout, password_change, ...
    std::string detail;
    std::int64_t created_ms = 0;
};

struct NewUser {
    User user;
    std::string password_hash;
    domain::Decimal initial_balance;
};

struct RefreshToken {
    std::string token_hash;  // SHA-256 of the token; the token itself is never stored
    std::string user_id;
    std::string access_jti;  // the access token issued with it, revoked together
    std::int64_t created_ms = 0;
    std::int64_t expires_ms = 0;
};

struct RevokedToken {
    std::string jti;
    std::int64_t expires_ms = 0;
};

enum class RotateError { kUnknown, kExpired, kRevoked, kReused };

// Thrown by adapters when the database cannot be reached or fails; the API answers 503.
class StoreUnavailable : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A write based on a state that another writer (another instance) has changed since it was
// read: nothing was written; read again and retry.
class WriteConflict : public StoreUnavailable {
  public:
    using StoreUnavailable::StoreUnavailable;
};

struct TableSize {
    std::string table;
    std::int64_t bytes = 0;
};

class Store {
  public:
    virtual ~Store() = default;

    // Creates the user and their paper account. nullopt when the email is taken.
    virtual std::optional<User> create_user(const NewUser& user, const AuditEvent& audit) = 0;
    virtual std::optional<Credentials> find_credentials(std::string_view email) = 0;
    virtual std::optional<User> find_user(std::string_view user_id) = 0;

    // Read-modify-write of the login state in one transaction, so concurrent failed logins
    // count each failure once. Returns the state written.
    virtual auth::LoginState update_login_state(
        std::string_view user_id, const std::function<auth::LoginState(auth::LoginState)>& change,
        const std::vector<AuditEvent>& audit) = 0;
    // Resets the login state, stores the new refresh token and writes the audit row.
    virtual void record_login(const RefreshToken& token, const AuditEvent& audit) = 0;
    // Single use: marks the old token used and stores its replacement, atomically. Presenting
    // a used token revokes every refresh token of its user (a stolen token was replayed).
    virtual std::expected<std::string, RotateError> rotate_refresh_token(
        std::string_view old_hash, std::int64_t now_ms, const RefreshToken& replacement) = 0;
    // Revokes an access token and the refresh tokens issued with it.
    virtual void revoke_session(std::string_view user_id, const RevokedToken& access,
                                const AuditEvent& audit) = 0;
    virtual std::vector<RevokedToken> revoked_tokens(std::int64_t now_ms) = 0;
    // Replaces the password hash and revokes every refresh token of the user.
    virtual void change_password(std::string_view user_id, std::string_view password_hash,
                                 const AuditEvent& audit) = 0;
    virtual void append_audit(const AuditEvent& audit) = 0;
    virtual std::vector<AuditEvent> audit_log(std::string_view user_id, int limit) = 0;

    // Calls revoked(token) when another instance sharing the store revoked an access token, so
    // a logout anywhere is honoured everywhere at once. A store used by one instance never
    // calls it.
    virtual void watch_revocations(std::function<void(const RevokedToken& token)> revoked) {
        (void)revoked;
    }

    // Operations.
    virtual bool ping() = 0;
    virtual std::vector<TableSize> table_sizes() = 0;
    virtual int connections_active() const = 0;
};

}  // namespace botcore::ports
