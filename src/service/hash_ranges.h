#pragma once
// The hash key space [0, 2^128-1] and how CreateStream divides it among N shards.

#include <cstdint>
#include <utility>
#include <vector>

#include "common/uint128.h"

namespace shoal::service {

struct HashRange {
  uint128 start = 0;
  uint128 end = 0;  // inclusive
};

// The layout CreateStream (and UNIFORM_SCALING) produces for `n` shards: step =
// floor(2^128 / n); shard i starts at i*step and ends at (i+1)*step - 1, except the last,
// which ends at 2^128 - 1. REQUIRES: n >= 1.
std::vector<HashRange> EvenHashRanges(uint32_t n);

}  // namespace shoal::service
