#pragma once
// SHA-256 for content-addressed job keys and payload checksums (OpenSSL's EVP digest).
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace sr {

class Sha256 {
public:
    Sha256();
    void update(const void* data, std::size_t size);
    void update(std::string_view text) { update(text.data(), text.size()); }
    std::string hex_digest();  // finalises

private:
    struct Free {
        void operator()(evp_md_ctx_st* ctx) const;
    };
    std::unique_ptr<evp_md_ctx_st, Free> ctx_;
};

std::string sha256_hex(std::string_view text);
// Throws std::runtime_error when the file cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace sr
