#include "auth/password.hpp"

#include <sodium.h>

#include <array>
#include <stdexcept>
#include <vector>

namespace botcore::auth {
namespace {

void ensure_sodium() {
    static const bool ready = sodium_init() >= 0;
    if (!ready) {
        throw std::runtime_error("sodium_init failed");
    }
}

}  // namespace

std::string hash_password(std::string_view password, PasswordCost cost) {
    ensure_sodium();
    std::array<char, crypto_pwhash_STRBYTES> out{};
    if (crypto_pwhash_str(out.data(), password.data(), password.size(), cost.ops,
                          cost.memory_bytes) != 0) {
        throw std::runtime_error("crypto_pwhash_str failed (out of memory or invalid cost)");
    }
    return std::string(out.data());
}

bool verify_password(std::string_view password, std::string_view encoded_hash) {
    ensure_sodium();
    // libsodium reads the hash as a C string inside a crypto_pwhash_STRBYTES buffer.
    if (encoded_hash.size() >= crypto_pwhash_STRBYTES ||
        encoded_hash.find('\0') != std::string_view::npos) {
        return false;
    }
    std::array<char, crypto_pwhash_STRBYTES> buffer{};
    encoded_hash.copy(buffer.data(), encoded_hash.size());
    return crypto_pwhash_str_verify(buffer.data(), password.data(), password.size()) == 0;
}

std::string random_token(std::size_t n_bytes) {
    ensure_sodium();
    std::vector<unsigned char> bytes(n_bytes);
    randombytes_buf(bytes.data(), bytes.size());
    constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    std::string encoded(sodium_base64_ENCODED_LEN(n_bytes, kVariant), '\0');
    sodium_bin2base64(encoded.data(), encoded.size(), bytes.data(), bytes.size(), kVariant);
    sodium_memzero(bytes.data(), bytes.size());
    encoded.resize(encoded.size() - 1);  // drop the NUL terminator
    return encoded;
}

std::string sha256_hex(std::string_view text) {
    ensure_sodium();
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(text.data()),
                       text.size());
    std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    return std::string(hex.data(), crypto_hash_sha256_BYTES * 2);
}

}  // namespace botcore::auth
