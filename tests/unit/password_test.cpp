#include "auth/password.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace botcore::auth {
namespace {

// Libsodium's minimum cost keeps these tests fast; one test below uses the default.
constexpr PasswordCost kFastCost{1, 8192};

bool is_base64url_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

TEST(Password, HashStartsWithArgon2idPrefix) {
    EXPECT_TRUE(hash_password("hunter2", kFastCost).starts_with("$argon2id$"));
}

TEST(Password, HashEncodesTheRequestedCost) {
    // memory_bytes 8192 is 8 KiB, which Argon2 encodes as m=8.
    EXPECT_TRUE(hash_password("hunter2", kFastCost).starts_with("$argon2id$v=19$m=8,t=1,p=1$"));
}

TEST(Password, VerifyAcceptsTheRightPassword) {
    const std::string hash = hash_password("correct horse battery staple", kFastCost);
    EXPECT_TRUE(verify_password("correct horse battery staple", hash));
}

TEST(Password, VerifyRejectsAWrongPassword) {
    const std::string hash = hash_password("correct horse battery staple", kFastCost);
    EXPECT_FALSE(verify_password("correct horse battery stapler", hash));
    EXPECT_FALSE(verify_password("", hash));
}

TEST(Password, VerifyHandlesPasswordsWithEmbeddedNul) {
    const std::string password("abc\0def", 7);
    const std::string hash = hash_password(password, kFastCost);
    EXPECT_TRUE(verify_password(password, hash));
    EXPECT_FALSE(verify_password("abc", hash));
}

TEST(Password, TwoHashesOfTheSamePasswordDiffer) {
    const std::string first = hash_password("hunter2", kFastCost);
    const std::string second = hash_password("hunter2", kFastCost);
    EXPECT_NE(first, second);
    EXPECT_TRUE(verify_password("hunter2", first));
    EXPECT_TRUE(verify_password("hunter2", second));
}

TEST(Password, VerifyReturnsFalseForMalformedHash) {
    EXPECT_FALSE(verify_password("hunter2", ""));
    EXPECT_FALSE(verify_password("hunter2", "not a hash"));
    EXPECT_FALSE(verify_password("hunter2", "$argon2id$"));
    EXPECT_FALSE(verify_password("hunter2", "$argon2id$v=19$m=8,t=1,p=1$garbage$garbage"));
    EXPECT_FALSE(verify_password("hunter2", std::string(4096, '$')));
}

TEST(Password, VerifyReturnsFalseForTruncatedHash) {
    const std::string hash = hash_password("hunter2", kFastCost);
    EXPECT_FALSE(verify_password("hunter2", hash.substr(0, hash.size() - 5)));
}

TEST(Password, VerifyReturnsFalseForHashWithTrailingBytes) {
    const std::string hash = hash_password("hunter2", kFastCost);
    EXPECT_FALSE(verify_password("hunter2", hash + std::string(1, '\0') + "x"));
    EXPECT_FALSE(verify_password("hunter2", hash + std::string(200, 'A')));
}

TEST(Password, DefaultCostHashVerifies) {
    const std::string hash = hash_password("hunter2");
    EXPECT_TRUE(hash.starts_with("$argon2id$v=19$m=65536,t=2,p=1$"));
    EXPECT_TRUE(verify_password("hunter2", hash));
    EXPECT_FALSE(verify_password("hunter3", hash));
}

TEST(Password, RandomTokenOf32BytesIs43Base64UrlCharacters) {
    const std::string token = random_token(32);
    EXPECT_EQ(token.size(), 43u);
    EXPECT_TRUE(std::ranges::all_of(token, is_base64url_char)) << token;
}

TEST(Password, RandomTokenDefaultsTo32Bytes) {
    EXPECT_EQ(random_token().size(), 43u);
}

TEST(Password, RandomTokenLengthFollowsByteCount) {
    EXPECT_EQ(random_token(16).size(), 22u);
    EXPECT_EQ(random_token(0), "");
}

TEST(Password, TwoRandomTokensDiffer) {
    EXPECT_NE(random_token(32), random_token(32));
}

TEST(Password, Sha256HexMatchesAbcTestVector) {
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Password, Sha256HexMatchesEmptyStringTestVector) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace botcore::auth
