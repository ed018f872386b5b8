#include "pipeline/sinks/cold/sha256.hpp"

#include "core/base/error.hpp"

#include <openssl/evp.h>

namespace ebap::pipeline {

std::array<std::uint8_t, 32> sha256(std::string_view data) {
    std::array<std::uint8_t, 32> out{};
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
        len != out.size())
        throw Error("sha256: libcrypto digest failed");
    return out;
}

std::string sha256_hex(std::string_view data) {
    static const char* kHex = "0123456789abcdef";
    const auto d = sha256(data);
    std::string s;
    s.reserve(64);
    for (std::uint8_t b : d) {
        s.push_back(kHex[b >> 4]);
        s.push_back(kHex[b & 15]);
    }
    return s;
}

} // namespace ebap::pipeline
