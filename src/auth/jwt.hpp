// HS256 access tokens (libjwt): issue with sub/jti/iat/exp, verify rejecting any other algorithm.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace botcore::auth {

struct AccessClaims {
    std::string sub;       // user id
    std::string jti;       // token id, the key of the revocation list
    std::int64_t iat = 0;  // seconds since the epoch
    std::int64_t exp = 0;
};

enum class JwtError {
    kMalformed,  // not three base64url parts, bad JSON, missing claim
    kAlgorithm,  // alg is not HS256 (none, RS256, HS512, ...)
    kSignature,  // signature does not match the secret
    kExpired,    // exp <= now
};
std::string_view to_string(JwtError error);

class JwtCodec {
  public:
    // secret: raw key bytes, at least 32.
    explicit JwtCodec(std::string secret);

    std::string issue(const AccessClaims& claims) const;
    // now_s: current time in seconds since the epoch.
    std::expected<AccessClaims, JwtError> verify(std::string_view token, std::int64_t now_s) const;

  private:
    std::string secret_;
};

}  // namespace botcore::auth
