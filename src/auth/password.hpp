// Password hashing with Argon2id (libsodium's crypto_pwhash_str) and random tokens.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace botcore::auth {

struct PasswordCost {
    unsigned long long ops = 2;            // crypto_pwhash_OPSLIMIT_INTERACTIVE
    std::size_t memory_bytes = 64u << 20;  // crypto_pwhash_MEMLIMIT_INTERACTIVE
};

// Encoded Argon2id hash ("$argon2id$v=19$m=...") of the password, with a fresh salt.
// Throws std::runtime_error only if libsodium cannot allocate memory.
std::string hash_password(std::string_view password, PasswordCost cost = {});
// Constant-time check of a password against an encoded hash; false for a malformed hash.
bool verify_password(std::string_view password, std::string_view encoded_hash);

// n random bytes (libsodium), encoded as unpadded base64url.
std::string random_token(std::size_t n_bytes = 32);
// SHA-256 of the text, lower-case hex: how refresh tokens are stored.
std::string sha256_hex(std::string_view text);

}  // namespace botcore::auth
