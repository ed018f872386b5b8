#pragma once
// SHA-256 for S3 payload hashes (x-amz-content-sha256), from OpenSSL's libcrypto (which
// libcurl already links).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ebap::pipeline {

std::array<std::uint8_t, 32> sha256(std::string_view data);
std::string sha256_hex(std::string_view data); // 64 lower-case hex digits

} // namespace ebap::pipeline
