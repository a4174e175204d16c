#pragma once
#include <string_view>

#include "common/uint128.h"

namespace shoal {

// MD5 of `data` read as a big-endian 128-bit number: the Kinesis hash key of a partition key.
uint128 Md5HashKey(std::string_view data);

}  // namespace shoal
