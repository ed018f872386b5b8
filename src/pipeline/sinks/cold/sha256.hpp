#pragma once
// SHA-256 (FIPS 180-4) for S3 payload hashes (x-amz-content-sha256). Our own because
// the build links no crypto library and libcurl does not expose its digest.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ebap::pipeline {

std::array<std::uint8_t, 32> sha256(std::string_view data);
std::string sha256_hex(std::string_view data); // 64 lower-case hex digits

} // namespace ebap::pipeline
