#include "common/uint128.h"

#include <gtest/gtest.h>

namespace shoal {
namespace {

TEST(Uint128Test, ParsesAndFormatsExtremes) {
  EXPECT_EQ(FormatUint128(0), "0");
  EXPECT_EQ(FormatUint128(kUint128Max), "340282366920938463463374607431768211455");
  auto max = ParseUint128("340282366920938463463374607431768211455");
  ASSERT_TRUE(max.has_value());
  EXPECT_TRUE(*max == kUint128Max);
}

TEST(Uint128Test, RejectsOverflowAndJunk) {
  EXPECT_FALSE(ParseUint128("340282366920938463463374607431768211456").has_value());
  EXPECT_FALSE(ParseUint128("").has_value());
  EXPECT_FALSE(ParseUint128("-1").has_value());
  EXPECT_FALSE(ParseUint128("12a").has_value());
  EXPECT_FALSE(ParseUint128("99999999999999999999999999999999999999999").has_value());
}

TEST(Uint128Test, RoundTrips) {
  uint128 v = 1;
  for (int i = 0; i < 128; ++i, v <<= 1) {
    auto parsed = ParseUint128(FormatUint128(v));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_TRUE(*parsed == v) << i;
    auto minus = ParseUint128(FormatUint128(v - 1));
    ASSERT_TRUE(minus.has_value());
    EXPECT_TRUE(*minus == v - 1) << i;
  }
}

}  // namespace
}  // namespace shoal
