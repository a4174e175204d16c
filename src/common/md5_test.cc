#include "common/md5.h"

#include <gtest/gtest.h>

namespace shoal {
namespace {

// Worked examples from the spec's partition-key table (§4.2).
TEST(Md5HashKeyTest, MatchesSpecExamples) {
  EXPECT_EQ(FormatUint128(Md5HashKey("a")), "16955237001963240173058271559858726497");
  EXPECT_EQ(FormatUint128(Md5HashKey("b")), "195289424170611159128911017612795795343");
  EXPECT_EQ(FormatUint128(Md5HashKey("e")), "299611584147932843547128611849858313266");
  EXPECT_EQ(FormatUint128(Md5HashKey("123")), "42767516990368493138776584305024125808");
  EXPECT_EQ(FormatUint128(Md5HashKey("\xc3\xbc")), "255482112228542481294366945247899473731");
}

}  // namespace
}  // namespace shoal
