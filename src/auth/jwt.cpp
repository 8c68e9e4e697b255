#include "auth/jwt.hpp"

#include <jwt.h>
#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace botcore::auth {
namespace {

static_assert(sizeof(long) == sizeof(std::int64_t), "libjwt integer grants are long");

constexpr std::size_t kMinSecretBytes = 32;
// Our tokens are a few hundred bytes; refuse to spend work on anything huge.
constexpr std::size_t kMaxTokenBytes = 8192;
constexpr std::size_t kHs256Bytes = 32;

struct JwtDeleter {
    void operator()(jwt_t* jwt) const noexcept { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

// libjwt 1.10 has no jwt_free_str: its strings come from plain malloc.
struct CStrDeleter {
    void operator()(char* str) const noexcept { std::free(str); }
};
using CStrPtr = std::unique_ptr<char, CStrDeleter>;

void ensure_sodium() {
    static const bool ready = sodium_init() >= 0;
    if (!ready) {
        throw std::runtime_error("sodium_init failed");
    }
}

JwtPtr new_jwt() {
    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0 || raw == nullptr) {
        throw std::runtime_error("jwt_new failed");
    }
    return JwtPtr(raw);
}

bool is_base64url_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

// Strict unpadded base64url decode; nullopt for an empty part, a foreign character, an
// impossible length or non-zero trailing bits (which libjwt's own decoder would tolerate).
std::optional<std::string> decode_part(std::string_view part) {
    if (part.empty() || !std::ranges::all_of(part, is_base64url_char)) {
        return std::nullopt;
    }
    ensure_sodium();
    std::string out(part.size() * 3 / 4 + 1, '\0');
    std::size_t out_len = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), part.data(),
                          part.size(), nullptr, &out_len, nullptr,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
        return std::nullopt;
    }
    out.resize(out_len);
    return out;
}

struct DecodedParts {
    std::string header;
    std::string payload;
};

// Independent JSON parse of a decoded part (jansson via libjwt, duplicate keys rejected),
// with no algorithm semantics attached: nullptr if it is not one JSON object.
JwtPtr parse_json_object(const std::string& json, bool as_header) {
    if (json.find('\0') != std::string::npos) {
        return nullptr;
    }
    JwtPtr holder = new_jwt();
    const int rc = as_header ? jwt_add_headers_json(holder.get(), json.c_str())
                             : jwt_add_grants_json(holder.get(), json.c_str());
    return rc == 0 ? std::move(holder) : nullptr;
}

std::optional<std::int64_t> integer_grant(jwt_t* jwt, const char* name) {
    // jwt_get_grant_int returns 0 without an error for a non-integer value, so check the
    // JSON text of the grant instead.
    const CStrPtr json(jwt_get_grants_json(jwt, name));
    if (!json) {
        return std::nullopt;
    }
    const std::string_view text(json.get());
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

std::string_view to_string(JwtError error) {
    switch (error) {
        case JwtError::kMalformed:
            return "malformed";
        case JwtError::kAlgorithm:
            return "algorithm";
        case JwtError::kSignature:
            return "signature";
        case JwtError::kExpired:
            return "expired";
    }
    return "unknown";
}

JwtCodec::JwtCodec(std::string secret) : secret_(std::move(secret)) {
    if (secret_.size() < kMinSecretBytes) {
        throw std::invalid_argument("JWT secret must be at least 32 bytes");
    }
    if (secret_.size() > static_cast<std::size_t>(INT_MAX)) {
        throw std::invalid_argument("JWT secret is too long");
    }
}

std::string JwtCodec::issue(const AccessClaims& claims) const {
    if (claims.sub.find('\0') != std::string::npos || claims.jti.find('\0') != std::string::npos) {
        throw std::invalid_argument("JWT claims must not contain NUL");
    }
    JwtPtr jwt = new_jwt();
    if (jwt_add_grant(jwt.get(), "sub", claims.sub.c_str()) != 0 ||
        jwt_add_grant(jwt.get(), "jti", claims.jti.c_str()) != 0 ||
        jwt_add_grant_int(jwt.get(), "iat", static_cast<long>(claims.iat)) != 0 ||
        jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(claims.exp)) != 0) {
        throw std::runtime_error("jwt_add_grant failed");
    }
    if (jwt_set_alg(jwt.get(), JWT_ALG_HS256,
                    reinterpret_cast<const unsigned char*>(secret_.data()),
                    static_cast<int>(secret_.size())) != 0) {
        throw std::runtime_error("jwt_set_alg failed");
    }
    const CStrPtr encoded(jwt_encode_str(jwt.get()));
    if (!encoded) {
        throw std::runtime_error("jwt_encode_str failed");
    }
    return std::string(encoded.get());
}

std::expected<AccessClaims, JwtError> JwtCodec::verify(std::string_view token,
                                                       std::int64_t now_s) const {
    using std::unexpected;
    if (token.size() > kMaxTokenBytes || std::ranges::count(token, '.') != 2) {
        return unexpected(JwtError::kMalformed);
    }
    const std::size_t dot1 = token.find('.');
    const std::size_t dot2 = token.find('.', dot1 + 1);
    const std::string_view header_b64 = token.substr(0, dot1);
    const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
    const std::string_view signature_b64 = token.substr(dot2 + 1);

    const auto header_json = decode_part(header_b64);
    const auto payload_json = decode_part(payload_b64);
    if (!header_json || !payload_json) {
        return unexpected(JwtError::kMalformed);
    }

    // Decide the algorithm from our own parse of the header before libjwt sees the token:
    // libjwt 1.10 matches alg names case-insensitively ("hs256" passes) and skips the
    // signature check for alg "none" whenever no key is passed.
    const JwtPtr header = parse_json_object(*header_json, /*as_header=*/true);
    if (!header) {
        return unexpected(JwtError::kMalformed);
    }
    const char* alg = jwt_get_header(header.get(), "alg");
    if (alg == nullptr || std::string_view(alg) != "HS256") {
        return unexpected(JwtError::kAlgorithm);
    }

    const auto signature = decode_part(signature_b64);
    if (!signature) {
        return unexpected(JwtError::kMalformed);
    }
    if (!parse_json_object(*payload_json, /*as_header=*/false)) {
        return unexpected(JwtError::kMalformed);
    }
    if (signature->size() != kHs256Bytes) {
        return unexpected(JwtError::kSignature);
    }

    const std::string token_str(token);
    jwt_t* raw = nullptr;
    const int rc =
        jwt_decode(&raw, token_str.c_str(), reinterpret_cast<const unsigned char*>(secret_.data()),
                   static_cast<int>(secret_.size()));
    const JwtPtr verified(raw);
    if (rc != 0 || !verified) {
        return unexpected(JwtError::kSignature);
    }
    if (jwt_get_alg(verified.get()) != JWT_ALG_HS256) {
        return unexpected(JwtError::kAlgorithm);
    }

    const char* sub = jwt_get_grant(verified.get(), "sub");
    const char* jti = jwt_get_grant(verified.get(), "jti");
    const auto iat = integer_grant(verified.get(), "iat");
    const auto exp = integer_grant(verified.get(), "exp");
    if (sub == nullptr || jti == nullptr || !iat || !exp) {
        return unexpected(JwtError::kMalformed);
    }
    if (*exp <= now_s) {
        return unexpected(JwtError::kExpired);
    }
    return AccessClaims{.sub = sub, .jti = jti, .iat = *iat, .exp = *exp};
}

}  // namespace botcore::auth
