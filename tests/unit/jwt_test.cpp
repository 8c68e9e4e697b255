#include "auth/jwt.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace botcore::auth {
namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef-test";
const std::string kOtherSecret = "fedcba9876543210fedcba9876543210-test";
constexpr std::int64_t kNow = 1'700'000'000;

constexpr std::string_view kHs256Header = R"({"alg":"HS256","typ":"JWT"})";
constexpr std::string_view kValidPayload =
    R"({"sub":"user-42","jti":"token-1","iat":1700000000,"exp":1700000900})";

std::string b64url(std::string_view bytes) {
    EXPECT_GE(sodium_init(), 0);
    constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kVariant), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                      bytes.size(), kVariant);
    out.resize(out.size() - 1);
    return out;
}

std::string unb64url(std::string_view text) {
    std::string out(text.size(), '\0');
    std::size_t len = 0;
    EXPECT_EQ(sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                                text.data(), text.size(), nullptr, &len, nullptr,
                                sodium_base64_VARIANT_URLSAFE_NO_PADDING),
              0);
    out.resize(len);
    return out;
}

std::string signing_input(std::string_view header_json, std::string_view payload_json) {
    return b64url(header_json) + "." + b64url(payload_json);
}

// HS256 token built without libjwt, to check the codec against an independent signer.
std::string forge_hs256(std::string_view header_json, std::string_view payload_json,
                        std::string_view secret) {
    const std::string input = signing_input(header_json, payload_json);
    crypto_auth_hmacsha256_state state;
    std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                                secret.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(input.data()),
                                  input.size());
    crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(mac.data()));
    return input + "." + b64url(mac);
}

std::string forge_hs512(std::string_view header_json, std::string_view payload_json,
                        std::string_view secret) {
    const std::string input = signing_input(header_json, payload_json);
    crypto_auth_hmacsha512_state state;
    std::string mac(crypto_auth_hmacsha512_BYTES, '\0');
    crypto_auth_hmacsha512_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                                secret.size());
    crypto_auth_hmacsha512_update(&state, reinterpret_cast<const unsigned char*>(input.data()),
                                  input.size());
    crypto_auth_hmacsha512_final(&state, reinterpret_cast<unsigned char*>(mac.data()));
    return input + "." + b64url(mac);
}

AccessClaims sample_claims() {
    return AccessClaims{.sub = "user-42", .jti = "token-1", .iat = kNow, .exp = kNow + 900};
}

JwtError error_of(const std::expected<AccessClaims, JwtError>& result) {
    EXPECT_FALSE(result.has_value());
    return result.has_value() ? JwtError{} : result.error();
}

TEST(Jwt, IssueThenVerifyRoundTripsAllClaims) {
    const JwtCodec codec(kSecret);
    const AccessClaims claims = sample_claims();
    const auto verified = codec.verify(codec.issue(claims), kNow);
    ASSERT_TRUE(verified.has_value()) << to_string(verified.error());
    EXPECT_EQ(verified->sub, claims.sub);
    EXPECT_EQ(verified->jti, claims.jti);
    EXPECT_EQ(verified->iat, claims.iat);
    EXPECT_EQ(verified->exp, claims.exp);
}

TEST(Jwt, IssuedTokenDeclaresHs256InItsHeader) {
    const JwtCodec codec(kSecret);
    const std::string token = codec.issue(sample_claims());
    const std::string header = unb64url(token.substr(0, token.find('.')));
    EXPECT_NE(header.find(R"("alg":"HS256")"), std::string::npos) << header;
}

TEST(Jwt, RoundTripsClaimsNeedingJsonEscapes) {
    const JwtCodec codec(kSecret);
    AccessClaims claims = sample_claims();
    claims.sub = "quote\" backslash\\ unicode \xC3\xA9";
    const auto verified = codec.verify(codec.issue(claims), kNow);
    ASSERT_TRUE(verified.has_value());
    EXPECT_EQ(verified->sub, claims.sub);
}

TEST(Jwt, RejectsTokenExpiringExactlyNow) {
    const JwtCodec codec(kSecret);
    AccessClaims claims = sample_claims();
    claims.exp = kNow;
    EXPECT_EQ(error_of(codec.verify(codec.issue(claims), kNow)), JwtError::kExpired);
}

TEST(Jwt, RejectsTokenThatExpiredInThePast) {
    const JwtCodec codec(kSecret);
    AccessClaims claims = sample_claims();
    claims.exp = kNow - 1;
    EXPECT_EQ(error_of(codec.verify(codec.issue(claims), kNow)), JwtError::kExpired);
}

TEST(Jwt, AcceptsTokenExpiringOneSecondFromNow) {
    const JwtCodec codec(kSecret);
    AccessClaims claims = sample_claims();
    claims.exp = kNow + 1;
    EXPECT_TRUE(codec.verify(codec.issue(claims), kNow).has_value());
}

TEST(Jwt, AcceptsHandMadeHs256TokenSignedWithTheSecret) {
    const JwtCodec codec(kSecret);
    const auto verified = codec.verify(forge_hs256(kHs256Header, kValidPayload, kSecret), kNow);
    ASSERT_TRUE(verified.has_value()) << to_string(verified.error());
    EXPECT_EQ(verified->sub, "user-42");
    EXPECT_EQ(verified->jti, "token-1");
    EXPECT_EQ(verified->iat, 1'700'000'000);
    EXPECT_EQ(verified->exp, 1'700'000'900);
}

TEST(Jwt, RejectsUnsignedAlgNoneTokenWithEmptySignature) {
    const JwtCodec codec(kSecret);
    const std::string token = signing_input(R"({"alg":"none","typ":"JWT"})", kValidPayload) + ".";
    EXPECT_EQ(error_of(codec.verify(token, kNow)), JwtError::kAlgorithm);
}

TEST(Jwt, RejectsAlgNoneTokenCarryingASignature) {
    const JwtCodec codec(kSecret);
    const std::string hs256 = forge_hs256(kHs256Header, kValidPayload, kSecret);
    const std::string signature = hs256.substr(hs256.rfind('.') + 1);
    const std::string token =
        signing_input(R"({"alg":"none","typ":"JWT"})", kValidPayload) + "." + signature;
    EXPECT_EQ(error_of(codec.verify(token, kNow)), JwtError::kAlgorithm);
}

TEST(Jwt, RejectsHs512TokenSignedWithTheSameSecret) {
    const JwtCodec codec(kSecret);
    const std::string token = forge_hs512(R"({"alg":"HS512","typ":"JWT"})", kValidPayload, kSecret);
    EXPECT_EQ(error_of(codec.verify(token, kNow)), JwtError::kAlgorithm);
}

TEST(Jwt, RejectsRs256Header) {
    const JwtCodec codec(kSecret);
    const std::string token =
        signing_input(R"({"alg":"RS256","typ":"JWT"})", kValidPayload) + "." + b64url("sig");
    EXPECT_EQ(error_of(codec.verify(token, kNow)), JwtError::kAlgorithm);
}

TEST(Jwt, RejectsLowerCaseAlgEvenWhenCorrectlySigned) {
    const JwtCodec codec(kSecret);
    const std::string token = forge_hs256(R"({"alg":"hs256","typ":"JWT"})", kValidPayload, kSecret);
    EXPECT_EQ(error_of(codec.verify(token, kNow)), JwtError::kAlgorithm);
}

TEST(Jwt, RejectsHeaderWithoutAlg) {
    const JwtCodec codec(kSecret);
    const std::string token = forge_hs256(R"({"typ":"JWT"})", kValidPayload, kSecret);
    EXPECT_EQ(error_of(codec.verify(token, kNow)), JwtError::kAlgorithm);
}

TEST(Jwt, RejectsHeaderWithDuplicateAlg) {
    const JwtCodec codec(kSecret);
    const std::string token =
        forge_hs256(R"({"alg":"HS256","alg":"none","typ":"JWT"})", kValidPayload, kSecret);
    EXPECT_EQ(error_of(codec.verify(token, kNow)), JwtError::kMalformed);
}

TEST(Jwt, RejectsTokenSignedWithAnotherSecret) {
    const JwtCodec codec(kSecret);
    const JwtCodec other(kOtherSecret);
    EXPECT_EQ(error_of(codec.verify(other.issue(sample_claims()), kNow)), JwtError::kSignature);
}

TEST(Jwt, RejectsTokenWithOneFlippedSignatureByte) {
    const JwtCodec codec(kSecret);
    const std::string token = codec.issue(sample_claims());
    const std::size_t dot = token.rfind('.');
    std::string signature = unb64url(token.substr(dot + 1));
    signature[7] = static_cast<char>(signature[7] ^ 0x01);
    const std::string tampered = token.substr(0, dot + 1) + b64url(signature);
    EXPECT_EQ(error_of(codec.verify(tampered, kNow)), JwtError::kSignature);
}

TEST(Jwt, RejectsTokenWithTruncatedSignature) {
    const JwtCodec codec(kSecret);
    const std::string token = codec.issue(sample_claims());
    const std::size_t dot = token.rfind('.');
    const std::string signature = unb64url(token.substr(dot + 1));
    const std::string tampered = token.substr(0, dot + 1) + b64url(signature.substr(0, 16));
    EXPECT_EQ(error_of(codec.verify(tampered, kNow)), JwtError::kSignature);
}

TEST(Jwt, RejectsTokenWithChangedPayload) {
    const JwtCodec codec(kSecret);
    const std::string token = codec.issue(sample_claims());
    const std::size_t dot1 = token.find('.');
    const std::size_t dot2 = token.rfind('.');
    const std::string payload =
        R"({"exp":1700000900,"iat":1700000000,"jti":"token-1","sub":"admin"})";
    const std::string tampered = token.substr(0, dot1 + 1) + b64url(payload) + token.substr(dot2);
    EXPECT_EQ(error_of(codec.verify(tampered, kNow)), JwtError::kSignature);
}

TEST(Jwt, RejectsSignedTokenWithoutSub) {
    const JwtCodec codec(kSecret);
    const std::string token = forge_hs256(
        kHs256Header, R"({"jti":"token-1","iat":1700000000,"exp":1700000900})", kSecret);
    EXPECT_EQ(error_of(codec.verify(token, kNow)), JwtError::kMalformed);
}

TEST(Jwt, RejectsSignedTokenWithoutJti) {
    const JwtCodec codec(kSecret);
    const std::string token = forge_hs256(
        kHs256Header, R"({"sub":"user-42","iat":1700000000,"exp":1700000900})", kSecret);
    EXPECT_EQ(error_of(codec.verify(token, kNow)), JwtError::kMalformed);
}

TEST(Jwt, RejectsSignedTokenWithoutExp) {
    const JwtCodec codec(kSecret);
    const std::string token =
        forge_hs256(kHs256Header, R"({"sub":"user-42","jti":"token-1","iat":1700000000})", kSecret);
    EXPECT_EQ(error_of(codec.verify(token, kNow)), JwtError::kMalformed);
}

TEST(Jwt, RejectsSignedTokenWithoutIat) {
    const JwtCodec codec(kSecret);
    const std::string token =
        forge_hs256(kHs256Header, R"({"sub":"user-42","jti":"token-1","exp":1700000900})", kSecret);
    EXPECT_EQ(error_of(codec.verify(token, kNow)), JwtError::kMalformed);
}

TEST(Jwt, RejectsSignedTokenWithStringExp) {
    const JwtCodec codec(kSecret);
    const std::string token = forge_hs256(
        kHs256Header, R"({"sub":"user-42","jti":"token-1","iat":1700000000,"exp":"1700000900"})",
        kSecret);
    EXPECT_EQ(error_of(codec.verify(token, kNow)), JwtError::kMalformed);
}

TEST(Jwt, RejectsSignedTokenWithFractionalExp) {
    const JwtCodec codec(kSecret);
    const std::string token = forge_hs256(
        kHs256Header, R"({"sub":"user-42","jti":"token-1","iat":1700000000,"exp":1700000900.5})",
        kSecret);
    EXPECT_EQ(error_of(codec.verify(token, kNow)), JwtError::kMalformed);
}

TEST(Jwt, RejectsSignedTokenWithNumericSub) {
    const JwtCodec codec(kSecret);
    const std::string token = forge_hs256(
        kHs256Header, R"({"sub":42,"jti":"token-1","iat":1700000000,"exp":1700000900})", kSecret);
    EXPECT_EQ(error_of(codec.verify(token, kNow)), JwtError::kMalformed);
}

TEST(Jwt, RejectsSignedTokenWhosePayloadIsNotJson) {
    const JwtCodec codec(kSecret);
    const std::string token = forge_hs256(kHs256Header, "not json", kSecret);
    EXPECT_EQ(error_of(codec.verify(token, kNow)), JwtError::kMalformed);
}

TEST(Jwt, RejectsHeaderThatIsNotJson) {
    const JwtCodec codec(kSecret);
    const std::string token = forge_hs256("HS256", kValidPayload, kSecret);
    EXPECT_EQ(error_of(codec.verify(token, kNow)), JwtError::kMalformed);
}

TEST(Jwt, RejectsEmptyString) {
    const JwtCodec codec(kSecret);
    EXPECT_EQ(error_of(codec.verify("", kNow)), JwtError::kMalformed);
}

TEST(Jwt, RejectsTwoParts) {
    const JwtCodec codec(kSecret);
    EXPECT_EQ(error_of(codec.verify("a.b", kNow)), JwtError::kMalformed);
    const std::string hs256 = forge_hs256(kHs256Header, kValidPayload, kSecret);
    EXPECT_EQ(error_of(codec.verify(hs256.substr(0, hs256.rfind('.')), kNow)),
              JwtError::kMalformed);
}

TEST(Jwt, RejectsFourParts) {
    const JwtCodec codec(kSecret);
    EXPECT_EQ(error_of(codec.verify("a.b.c.d", kNow)), JwtError::kMalformed);
    const std::string hs256 = forge_hs256(kHs256Header, kValidPayload, kSecret);
    EXPECT_EQ(error_of(codec.verify(hs256 + ".", kNow)), JwtError::kMalformed);
}

TEST(Jwt, RejectsSingleCharacterParts) {
    const JwtCodec codec(kSecret);
    EXPECT_EQ(error_of(codec.verify("a.b.c", kNow)), JwtError::kMalformed);
}

TEST(Jwt, RejectsEmptyParts) {
    const JwtCodec codec(kSecret);
    EXPECT_EQ(error_of(codec.verify("..", kNow)), JwtError::kMalformed);
    const std::string hs256 = forge_hs256(kHs256Header, kValidPayload, kSecret);
    EXPECT_EQ(error_of(codec.verify(hs256.substr(0, hs256.rfind('.') + 1), kNow)),
              JwtError::kMalformed);
}

TEST(Jwt, RejectsNonBase64UrlCharacters) {
    const JwtCodec codec(kSecret);
    EXPECT_EQ(error_of(codec.verify("!!!!.????.****", kNow)), JwtError::kMalformed);
    // Standard (not url-safe) base64 alphabet and padding are not base64url.
    EXPECT_EQ(error_of(codec.verify("ab+/.cd==.efgh", kNow)), JwtError::kMalformed);
}

TEST(Jwt, RejectsSignatureWithNonBase64UrlCharacters) {
    const JwtCodec codec(kSecret);
    const std::string hs256 = forge_hs256(kHs256Header, kValidPayload, kSecret);
    EXPECT_EQ(error_of(codec.verify(hs256 + "*", kNow)), JwtError::kMalformed);
}

TEST(Jwt, RejectsTokenWithEmbeddedNul) {
    const JwtCodec codec(kSecret);
    std::string token = forge_hs256(kHs256Header, kValidPayload, kSecret);
    token.insert(5, 1, '\0');
    EXPECT_EQ(error_of(codec.verify(token, kNow)), JwtError::kMalformed);
}

TEST(Jwt, ConstructorThrowsOnSecretShorterThan32Bytes) {
    EXPECT_THROW(JwtCodec(std::string(31, 'k')), std::invalid_argument);
    EXPECT_THROW(JwtCodec(""), std::invalid_argument);
}

TEST(Jwt, ConstructorAcceptsSecretOfExactly32Bytes) {
    const JwtCodec codec(std::string(32, 'k'));
    EXPECT_TRUE(codec.verify(codec.issue(sample_claims()), kNow).has_value());
}

TEST(Jwt, ToStringGivesShortSnakeCaseNames) {
    EXPECT_EQ(to_string(JwtError::kMalformed), "malformed");
    EXPECT_EQ(to_string(JwtError::kAlgorithm), "algorithm");
    EXPECT_EQ(to_string(JwtError::kSignature), "signature");
    EXPECT_EQ(to_string(JwtError::kExpired), "expired");
}

TEST(Jwt, VerifyIsSafeFromManyThreadsOnOneCodec) {
    const JwtCodec codec(kSecret);
    const std::string good = codec.issue(sample_claims());
    const std::string bad = JwtCodec(kOtherSecret).issue(sample_claims());
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 200; ++i) {
                const auto ok = codec.verify(good, kNow);
                const auto rejected = codec.verify(bad, kNow);
                const std::string fresh = codec.issue(sample_claims());
                if (!ok || ok->sub != "user-42" || rejected.has_value() ||
                    rejected.error() != JwtError::kSignature || fresh != good) {
                    ++failures;
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace botcore::auth
