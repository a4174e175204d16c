#include "common/uint128.h"

#include <algorithm>

namespace shoal {

std::optional<uint128> ParseUint128(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint128 v = 0;
  const uint128 limit_div = kUint128Max / 10;
  const unsigned limit_mod = static_cast<unsigned>(kUint128Max % 10);
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    unsigned d = static_cast<unsigned>(c - '0');
    if (v > limit_div || (v == limit_div && d > limit_mod)) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

std::string FormatUint128(uint128 v) {
  if (v == 0) return "0";
  char buf[40];
  int n = 0;
  while (v != 0) {
    buf[n++] = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  }
  std::string out(buf, buf + n);
  std::reverse(out.begin(), out.end());
  return out;
}

uint128 Uint128FromBigEndian(const unsigned char bytes[16]) {
  uint128 v = 0;
  for (int i = 0; i < 16; ++i) v = (v << 8) | bytes[i];
  return v;
}

}  // namespace shoal
