#include "service/hash_ranges.h"

#include <gtest/gtest.h>

#include "common/md5.h"

namespace shoal::service {
namespace {

// The ranges tile [0, 2^128-1] with no gap or overlap.
void ExpectTiles(const std::vector<HashRange>& r) {
  ASSERT_FALSE(r.empty());
  EXPECT_TRUE(r.front().start == 0);
  EXPECT_TRUE(r.back().end == kUint128Max);
  for (size_t i = 1; i < r.size(); ++i) EXPECT_TRUE(r[i].start == r[i - 1].end + 1) << i;
}

TEST(EvenHashRangesTest, OneShardCoversEverything) {
  auto r = EvenHashRanges(1);
  ASSERT_EQ(r.size(), 1u);
  ExpectTiles(r);
}

TEST(EvenHashRangesTest, ThreeShardsMatchAws) {
  auto r = EvenHashRanges(3);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(FormatUint128(r[0].end), "113427455640312821154458202477256070484");
  EXPECT_EQ(FormatUint128(r[1].start), "113427455640312821154458202477256070485");
  EXPECT_EQ(FormatUint128(r[1].end), "226854911280625642308916404954512140969");
  EXPECT_EQ(FormatUint128(r[2].start), "226854911280625642308916404954512140970");
  ExpectTiles(r);
}

TEST(EvenHashRangesTest, PowersOfTwoSplitExactly) {
  auto r2 = EvenHashRanges(2);
  EXPECT_EQ(FormatUint128(r2[0].end), "170141183460469231731687303715884105727");
  EXPECT_EQ(FormatUint128(r2[1].start), "170141183460469231731687303715884105728");
  auto r4 = EvenHashRanges(4);
  EXPECT_EQ(FormatUint128(r4[1].start), "85070591730234615865843651857942052864");
  ExpectTiles(r4);
}

TEST(EvenHashRangesTest, SevenAndTenThousandTile) {
  auto r7 = EvenHashRanges(7);
  ExpectTiles(r7);
  uint128 step = r7[1].start;
  EXPECT_TRUE(step == (kUint128Max / 7));  // 7 does not divide 2^128
  // The last shard absorbs the remainder: it is never narrower than the others.
  EXPECT_TRUE(r7[6].end - r7[6].start >= step - 1);
  auto r = EvenHashRanges(10000);
  ASSERT_EQ(r.size(), 10000u);
  ExpectTiles(r);
}

TEST(EvenHashRangesTest, SpecPartitionKeyExamplesLandOnTheDocumentedShards) {
  auto shard_of = [](const std::vector<HashRange>& r, uint128 h) {
    for (size_t i = 0; i < r.size(); ++i)
      if (h >= r[i].start && h <= r[i].end) return static_cast<int>(i);
    return -1;
  };
  auto r3 = EvenHashRanges(3), r4 = EvenHashRanges(4);
  EXPECT_EQ(shard_of(r3, Md5HashKey("a")), 0);
  EXPECT_EQ(shard_of(r3, Md5HashKey("b")), 1);
  EXPECT_EQ(shard_of(r3, Md5HashKey("e")), 2);
  EXPECT_EQ(shard_of(r4, Md5HashKey("b")), 2);
  EXPECT_EQ(shard_of(r4, Md5HashKey("e")), 3);
  uint128 step3 = r3[1].start;
  EXPECT_EQ(shard_of(r3, 2 * step3 - 1), 1);
  EXPECT_EQ(shard_of(r3, 2 * step3), 2);
}

}  // namespace
}  // namespace shoal::service
