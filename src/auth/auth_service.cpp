#include "auth/auth_service.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>

#include "auth/bearer.hpp"
#include "auth/blanks.hpp"
#include "ports/ids.hpp"

namespace botcore::auth {

namespace {

constexpr std::size_t kMaxPasswordLength = 256;
constexpr std::size_t kMaxDisplayNameLength = 64;

std::size_t utf8_length(std::string_view text) {
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

bool has_control_characters(std::string_view text) {
    return std::any_of(text.begin(), text.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

AuthError error(AuthErrorKind kind, std::string message, std::string field = {}) {
    return AuthError{kind, std::move(message), std::move(field), 0};
}

}  // namespace

AuthService::AuthService(ports::Store& store, const ports::Clock& clock,
                         RevocationList& revocations, const JwtCodec& jwt, AuthSettings settings)
    : store_(store),
      clock_(clock),
      revocations_(revocations),
      jwt_(jwt),
      settings_(std::move(settings)),
      dummy_hash_(hash_password(random_token(16), settings_.password_cost)) {}

std::optional<std::string> AuthService::normalize_email(std::string_view email) {
    email = trim_blanks(email);
    const auto at = email.find('@');
    if (email.size() < 3 || email.size() > 254 || at == std::string_view::npos || at == 0 ||
        email.find('@', at + 1) != std::string_view::npos || has_control_characters(email) ||
        email.find(' ') != std::string_view::npos) {
        return std::nullopt;
    }
    const auto domain = email.substr(at + 1);
    const auto dot = domain.find('.');
    if (domain.empty() || dot == std::string_view::npos || dot == 0 || domain.back() == '.') {
        return std::nullopt;
    }
    std::string out(email);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

std::expected<void, AuthError> AuthService::check_password_policy(std::string_view password,
                                                                  std::string_view field) const {
    const auto length = utf8_length(password);
    if (length < static_cast<std::size_t>(settings_.password_min_length)) {
        return std::unexpected(error(AuthErrorKind::kInvalidPassword,
                                     fmt::format("the password must have at least {} characters",
                                                 settings_.password_min_length),
                                     std::string(field)));
    }
    if (password.size() > kMaxPasswordLength) {
        return std::unexpected(
            error(AuthErrorKind::kInvalidPassword,
                  fmt::format("the password must have at most {} bytes", kMaxPasswordLength),
                  std::string(field)));
    }
    return {};
}

std::expected<ports::User, AuthError> AuthService::register_user(
    std::string_view email, std::string_view password, std::optional<std::string_view> display_name,
    std::string_view ip) {
    const auto normalized = normalize_email(email);
    if (!normalized) {
        return std::unexpected(
            error(AuthErrorKind::kInvalidEmail, "not a valid email address", "email"));
    }
    if (auto ok = check_password_policy(password, "password"); !ok) {
        return std::unexpected(ok.error());
    }
    std::string name(display_name ? trim_blanks(*display_name)
                                  : std::string_view(*normalized).substr(0, normalized->find('@')));
    if (name.empty() || utf8_length(name) > kMaxDisplayNameLength || has_control_characters(name)) {
        return std::unexpected(
            error(AuthErrorKind::kInvalidDisplayName,
                  fmt::format("display_name must have 1 to {} printable characters",
                              kMaxDisplayNameLength),
                  "display_name"));
    }
    const auto now = clock_.now_ms();
    ports::NewUser user{ports::User{ids_.next(now), *normalized, std::move(name), now},
                        hash_password(password, settings_.password_cost),
                        settings_.initial_balance};
    auto created = store_.create_user(user, {user.user.id, std::string(ip), "register", "", now});
    if (!created) {
        return std::unexpected(
            error(AuthErrorKind::kEmailTaken, "an account with this email exists"));
    }
    return *created;
}

TokenPair AuthService::issue_tokens(const ports::User& user,
                                    ports::RefreshToken& refresh_row) const {
    const auto now = clock_.now_ms();
    AccessClaims claims{user.id, random_token(16), now / 1000, now / 1000 + settings_.access_ttl_s};
    TokenPair pair{jwt_.issue(claims), random_token(32), settings_.access_ttl_s, user};
    refresh_row = ports::RefreshToken{sha256_hex(pair.refresh_token), user.id, claims.jti, now,
                                      now + settings_.refresh_ttl_s * 1000};
    return pair;
}

std::expected<TokenPair, AuthError> AuthService::login(std::string_view email,
                                                       std::string_view password,
                                                       std::string_view ip) {
    const auto bad_credentials = error(AuthErrorKind::kBadCredentials, "wrong email or password");
    const auto normalized = normalize_email(email);
    auto credentials = normalized ? store_.find_credentials(*normalized) : std::nullopt;
    if (!credentials) {
        (void)verify_password(password, dummy_hash_);
        store_.append_audit({"", std::string(ip), "login_failed",
                             "unknown email " + std::string(trim_blanks(email).substr(0, 254)),
                             clock_.now_ms()});
        return std::unexpected(bad_credentials);
    }
    const auto& user = credentials->user;
    if (auto refused =
            verify_with_lockout(*credentials, password, ip, "login_failed", bad_credentials)) {
        return std::unexpected(*refused);
    }
    ports::RefreshToken row;
    auto pair = issue_tokens(user, row);
    store_.record_login(row, {user.id, std::string(ip), "login", "", row.created_ms});
    return pair;
}

std::optional<AuthError> AuthService::verify_with_lockout(const ports::Credentials& credentials,
                                                          std::string_view password,
                                                          std::string_view ip,
                                                          std::string_view failure_event,
                                                          AuthError wrong) {
    const auto locked = [](std::int64_t until_ms, std::int64_t now_ms) {
        auto refused = error(AuthErrorKind::kLocked,
                             "too many failed password attempts; the account is locked");
        refused.retry_after_s = std::max<std::int64_t>(1, (until_ms - now_ms + 999) / 1000);
        return refused;
    };
    auto now = clock_.now_ms();
    if (is_locked(credentials.login, now)) {
        return locked(credentials.login.locked_until_ms, now);
    }
    if (verify_password(password, credentials.password_hash)) {
        return std::nullopt;
    }
    now = clock_.now_ms();
    const auto& user_id = credentials.user.id;
    const std::string ip_text(ip);
    const auto state = store_.update_login_state(
        user_id, [&](LoginState current) { return after_failure(current, now, settings_.lockout); },
        {{user_id, ip_text, std::string(failure_event), "", now}});
    if (is_locked(state, now)) {
        store_.append_audit({user_id, ip_text, "lockout", "", now});
        return locked(state.locked_until_ms, now);
    }
    return wrong;
}

std::expected<TokenPair, AuthError> AuthService::refresh(std::string_view refresh_token) {
    const auto invalid =
        error(AuthErrorKind::kBadToken, "the refresh token is invalid, used or expired");
    if (refresh_token.empty() || refresh_token.size() > 128) {
        return std::unexpected(invalid);
    }
    const auto now = clock_.now_ms();
    const auto next_refresh = random_token(32);
    const ports::RefreshToken row{sha256_hex(next_refresh), "", random_token(16), now,
                                  now + settings_.refresh_ttl_s * 1000};
    // The store fills in the user of the old token.
    auto rotated = store_.rotate_refresh_token(sha256_hex(refresh_token), now, row);
    if (!rotated) {
        return std::unexpected(invalid);
    }
    auto user = store_.find_user(*rotated);
    if (!user) {
        return std::unexpected(invalid);
    }
    AccessClaims claims{user->id, row.access_jti, now / 1000, now / 1000 + settings_.access_ttl_s};
    return TokenPair{jwt_.issue(claims), next_refresh, settings_.access_ttl_s, std::move(*user)};
}

void AuthService::logout(const Identity& identity, std::string_view ip) {
    const auto now = clock_.now_ms();
    store_.revoke_session(identity.user_id, {identity.jti, identity.expires_s * 1000},
                          {identity.user_id, std::string(ip), "logout", "", now});
    revocations_.add(identity.jti, identity.expires_s * 1000, now);
}

std::expected<void, AuthError> AuthService::change_password(const Identity& identity,
                                                            std::string_view current_password,
                                                            std::string_view new_password,
                                                            std::string_view ip) {
    const auto user = store_.find_user(identity.user_id);
    const auto credentials = user ? store_.find_credentials(user->email) : std::nullopt;
    if (!credentials) {
        return std::unexpected(error(AuthErrorKind::kBadToken, "unknown user"));
    }
    if (auto refused = verify_with_lockout(
            *credentials, current_password, ip, "password_change_failed",
            error(AuthErrorKind::kWrongPassword, "the current password is wrong"))) {
        return std::unexpected(*refused);
    }
    if (auto ok = check_password_policy(new_password, "new_password"); !ok) {
        return std::unexpected(ok.error());
    }
    store_.change_password(
        identity.user_id, hash_password(new_password, settings_.password_cost),
        {identity.user_id, std::string(ip), "password_change", "", clock_.now_ms()});
    return {};
}

std::expected<Identity, AuthError> AuthService::authenticate(std::string_view authorization) const {
    const auto token = bearer_token(authorization);
    if (!token) {
        return std::unexpected(
            error(AuthErrorKind::kBadToken, "expected 'Authorization: Bearer <token>'"));
    }
    return authenticate_token(*token);
}

std::expected<Identity, AuthError> AuthService::authenticate_token(std::string_view token) const {
    const auto now_s = clock_.now_ms() / 1000;
    auto claims = verified_tokens_.find(token);
    if (!claims) {
        auto verified = jwt_.verify(token, now_s);
        if (!verified) {
            return std::unexpected(
                error(AuthErrorKind::kBadToken,
                      fmt::format("invalid token ({})", to_string(verified.error()))));
        }
        claims = std::move(*verified);
        verified_tokens_.insert(token, *claims);
    }
    if (claims->exp <= now_s) {
        return std::unexpected(error(AuthErrorKind::kBadToken, "invalid token (expired)"));
    }
    if (revocations_.contains(claims->jti)) {
        return std::unexpected(error(AuthErrorKind::kBadToken, "the token was revoked"));
    }
    return Identity{std::move(claims->sub), std::move(claims->jti), claims->exp};
}

bool AuthService::token_holds(std::string_view jti, std::int64_t expires_s) const {
    return expires_s > clock_.now_ms() / 1000 && !revocations_.contains(jti);
}

std::optional<ports::User> AuthService::user(std::string_view user_id) const {
    if (auto cached = users_.find(user_id)) {
        return cached;
    }
    auto found = store_.find_user(user_id);
    if (found) {
        users_.insert(user_id, *found);
    }
    return found;
}

}  // namespace botcore::auth
