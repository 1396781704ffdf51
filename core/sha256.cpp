#include "core/sha256.hpp"

#include <openssl/evp.h>

#include <array>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace sr {
namespace {

std::string to_hex(const unsigned char* digest, unsigned size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex(2 * size, '0');
    for (unsigned i = 0; i < size; ++i) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 0xf];
    }
    return hex;
}

// OpenSSL reports failure only on allocation or a broken provider; neither is recoverable here.
void check(int ok, const char* what) {
    if (ok != 1) throw std::runtime_error(std::string("OpenSSL SHA-256: ") + what + " failed");
}

}  // namespace

void Sha256::Free::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_) throw std::runtime_error("OpenSSL SHA-256: out of memory");
    check(EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr), "init");
}

void Sha256::update(const void* data, std::size_t size) {
    check(EVP_DigestUpdate(ctx_.get(), data, size), "update");
}

std::string Sha256::hex_digest() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned size = 0;
    check(EVP_DigestFinal_ex(ctx_.get(), digest.data(), &size), "final");
    return to_hex(digest.data(), size);
}

std::string sha256_hex(std::string_view text) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned size = 0;
    check(EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr), "digest");
    return to_hex(digest.data(), size);
}

std::string sha256_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    Sha256 sha;
    std::vector<char> chunk(1 << 16);
    while (in) {
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        sha.update(chunk.data(), static_cast<std::size_t>(in.gcount()));
    }
    return sha.hex_digest();
}

}  // namespace sr
