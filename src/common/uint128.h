#pragma once
// Unsigned 128-bit integers for hash keys (MD5 as a big-endian number) and the hash key
// space arithmetic. Decimal text is what the Kinesis API carries.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shoal {

using uint128 = unsigned __int128;

inline constexpr uint128 kUint128Max = ~static_cast<uint128>(0);

// Parses a decimal string with no sign, no leading '+', at least one digit.
// Returns nullopt on a non-digit or on overflow past 2^128-1.
std::optional<uint128> ParseUint128(std::string_view text);

// Canonical decimal representation (no leading zeros).
std::string FormatUint128(uint128 v);

// The 16 bytes read as a big-endian number (how Kinesis reads an MD5 digest).
uint128 Uint128FromBigEndian(const unsigned char bytes[16]);

}  // namespace shoal
