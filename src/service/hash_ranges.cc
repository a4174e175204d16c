#include "service/hash_ranges.h"

#include <cassert>

namespace shoal::service {

std::vector<HashRange> EvenHashRanges(uint32_t n) {
  assert(n >= 1);
  // floor(2^128 / n) without 2^128: for n >= 2, (2^128 - 1) / n equals floor(2^128 / n)
  // unless n divides 2^128 exactly (n a power of two), where it is one less.
  uint128 step;
  if (n == 1) {
    return {HashRange{0, kUint128Max}};
  }
  step = kUint128Max / n;
  if ((n & (n - 1)) == 0) step += 1;
  std::vector<HashRange> ranges;
  ranges.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    uint128 start = step * i;
    uint128 end = (i + 1 == n) ? kUint128Max : step * (i + 1) - 1;
    ranges.push_back({start, end});
  }
  return ranges;
}

}  // namespace shoal::service
