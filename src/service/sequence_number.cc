#include "service/sequence_number.h"

#include <algorithm>
#include <array>

namespace shoal::service {
namespace {

// A 192-bit unsigned integer as three little-endian 64-bit limbs.
using Limbs = std::array<uint64_t, 3>;

void OrShifted(Limbs& n, uint64_t value, int shift) {
  int limb = shift / 64, bit = shift % 64;
  n[limb] |= value << bit;
  if (bit != 0 && limb + 1 < 3) n[limb + 1] |= value >> (64 - bit);
}

uint64_t ExtractBits(const Limbs& n, int shift, int width) {
  int limb = shift / 64, bit = shift % 64;
  unsigned __int128 window = n[limb] >> bit;
  if (bit != 0 && limb + 1 < 3) window |= static_cast<unsigned __int128>(n[limb + 1]) << (64 - bit);
  uint64_t mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  return static_cast<uint64_t>(window) & mask;
}

// (hi·2^64 + lo) / d and its remainder. REQUIRES: hi < d (the quotient fits 64 bits).
inline uint64_t Div128By64(uint64_t hi, uint64_t lo, uint64_t d, uint64_t& rem) {
#if defined(__x86_64__)
  uint64_t q;
  // One divq; the generic path calls __udivti3, several times slower (GetRecords formats a
  // sequence number per record).
  asm("divq %4" : "=a"(q), "=d"(rem) : "a"(lo), "d"(hi), "rm"(d) : "cc");
  return q;
#else
  unsigned __int128 cur = (static_cast<unsigned __int128>(hi) << 64) | lo;
  rem = static_cast<uint64_t>(cur % d);
  return static_cast<uint64_t>(cur / d);
#endif
}

// Divides n by d in place and returns the remainder.
uint64_t DivMod(Limbs& n, uint64_t d) {
  uint64_t rem = 0;
  for (int i = 2; i >= 0; --i) n[i] = Div128By64(rem, n[i], d, rem);
  return rem;
}

// n = n * 10 + digit; returns false on overflow past 192 bits.
bool MulAdd(Limbs& n, unsigned digit) {
  unsigned __int128 carry = digit;
  for (int i = 0; i < 3; ++i) {
    unsigned __int128 cur = static_cast<unsigned __int128>(n[i]) * 10 + carry;
    n[i] = static_cast<uint64_t>(cur);
    carry = cur >> 64;
  }
  return carry == 0;
}

bool IsZero(const Limbs& n) { return n[0] == 0 && n[1] == 0 && n[2] == 0; }

}  // namespace

SequenceNumber SequenceNumber::ShardStart(uint32_t shard_index, int64_t created_ms) {
  uint64_t secs = static_cast<uint64_t>(created_ms / 1000);
  return SequenceNumber{secs, shard_index, 0, 0, secs};
}

SequenceNumber SequenceNumber::ShardEnd(uint32_t shard_index, int64_t created_ms,
                                        int64_t closed_ms) {
  return SequenceNumber{static_cast<uint64_t>(created_ms / 1000), shard_index, kMaxCounter, 0,
                        static_cast<uint64_t>(closed_ms / 1000)};
}

std::string SequenceNumber::ToString() const {
  Limbs n{0, 0, 0};
  OrShifted(n, 2, 184);
  OrShifted(n, create_secs & ((uint64_t{1} << 36) - 1), 148);
  OrShifted(n, shard_index & 0xF, 144);
  OrShifted(n, counter & kMaxCounter, 80);
  OrShifted(n, byte1, 72);
  OrShifted(n, record_secs & ((uint64_t{1} << 36) - 1), 36);
  OrShifted(n, shard_index, 4);
  OrShifted(n, 2, 0);
  std::string out;
  while (!IsZero(n)) {
    uint64_t chunk = DivMod(n, 10'000'000'000'000'000'000ULL);  // 10^19
    for (int i = 0; i < 19 && (chunk != 0 || !IsZero(n)); ++i) {
      out.push_back(static_cast<char>('0' + chunk % 10));
      chunk /= 10;
    }
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::optional<SequenceNumber> SequenceNumber::Parse(std::string_view text) {
  if (text.empty() || text.size() > 60 || (text[0] == '0' && text.size() > 1)) return std::nullopt;
  Limbs n{0, 0, 0};
  for (char c : text) {
    if (c < '0' || c > '9' || !MulAdd(n, static_cast<unsigned>(c - '0'))) return std::nullopt;
  }
  if (ExtractBits(n, 184, 8) != 2 || ExtractBits(n, 0, 4) != 2) return std::nullopt;
  SequenceNumber s;
  s.create_secs = ExtractBits(n, 148, 36);
  s.counter = ExtractBits(n, 80, 64);
  if (s.counter > kMaxCounter) return std::nullopt;
  s.byte1 = static_cast<uint8_t>(ExtractBits(n, 72, 8));
  s.record_secs = ExtractBits(n, 36, 36);
  s.shard_index = static_cast<uint32_t>(ExtractBits(n, 4, 32));
  if ((s.shard_index & 0xF) != ExtractBits(n, 144, 4)) return std::nullopt;
  return s;
}

}  // namespace shoal::service
