#pragma once
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of iSCSI, ext4 and
// LevelDB, computed with the SSE4.2 crc32 instruction when the build targets it.
//
// Stored checksums should be masked (MaskCrc32c): a CRC computed over data that itself
// contains embedded CRCs is otherwise weak, and masking makes an all-zero record fail.

#include <cstdint>
#include <string_view>

namespace shoal {

// Returns the CRC-32C of A + data, where `crc` is the CRC-32C of some string A.
// Crc32cExtend(Crc32c(a), b) == Crc32c(a + b). Thread-safe (pure).
uint32_t Crc32cExtend(uint32_t crc, std::string_view data);

// The CRC-32C of `data`. Crc32c("123456789") == 0xE3069283.
inline uint32_t Crc32c(std::string_view data) { return Crc32cExtend(0, data); }

// LevelDB's mask: rotate right by 15 bits and add a constant. UnmaskCrc32c inverts it.
inline constexpr uint32_t kCrc32cMaskDelta = 0xa282ead8u;
inline uint32_t MaskCrc32c(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kCrc32cMaskDelta; }
inline uint32_t UnmaskCrc32c(uint32_t masked) {
  uint32_t rot = masked - kCrc32cMaskDelta;
  return (rot >> 17) | (rot << 15);
}

namespace internal {
// The table-driven implementation, used when SSE4.2 is not available; exposed for tests
// that check the two implementations agree.
uint32_t Crc32cExtendPortable(uint32_t crc, std::string_view data);
}  // namespace internal

}  // namespace shoal
