#include "storage/shard_index.h"

#include <gtest/gtest.h>

namespace shoal::storage {
namespace {

// Feeds batches of `count` records and `length` bytes; arrival = 1000 * first counter.
class ShardIndexTest : public ::testing::Test {
 protected:
  bool Add(uint64_t segment, uint64_t offset, uint32_t count, uint32_t length) {
    BatchHeader h;
    h.length = length;
    h.count = count;
    h.first_counter = next_;
    h.arrival_ms = static_cast<int64_t>(next_) * 1000;
    next_ += count;
    return index_.Add(h, MakePos(segment, offset));
  }
  ShardIndex index_{/*interval_bytes=*/1000};
  uint64_t next_ = 1;
};

TEST_F(ShardIndexTest, OneEntryPerIntervalAndPerSegment) {
  EXPECT_TRUE(Add(1, 0, 10, 400));     // entry 0, first batch in segment 1
  EXPECT_FALSE(Add(1, 400, 10, 400));  // contiguous: same entry
  EXPECT_FALSE(Add(1, 800, 10, 400));  // 800 < 1000: still the same entry
  EXPECT_FALSE(Add(1, 5000, 10, 400)); // 1200 >= 1000: a new entry, same segment
  EXPECT_TRUE(Add(2, 0, 10, 100));     // a new segment: a new entry and a new reference
  ASSERT_EQ(index_.entries().size(), 3u);
  const IndexEntry& e0 = index_.entries()[0];
  EXPECT_EQ(e0.first_counter, 1u);
  EXPECT_EQ(e0.end_counter, 31u);
  EXPECT_EQ(e0.batches, 3u);
  EXPECT_EQ(e0.bytes, 1200u);
  EXPECT_EQ(e0.extent, 1200u);
  EXPECT_TRUE(e0.contiguous());
  EXPECT_EQ(e0.first_pos, MakePos(1, 0));
  EXPECT_EQ(e0.last_pos, MakePos(1, 800));
  EXPECT_EQ(e0.first_arrival_ms, 1000);
  EXPECT_EQ(e0.last_arrival_ms, 21000);
  EXPECT_EQ(index_.entries()[1].first_counter, 31u);
  EXPECT_EQ(index_.entries()[2].segment(), 2u);
  EXPECT_EQ(index_.first_counter(), 1u);
}

TEST_F(ShardIndexTest, InterleavedBatchesAreNotContiguous) {
  Add(1, 0, 1, 100);
  Add(1, 300, 1, 100);  // another shard's batch sits at 100..300
  EXPECT_EQ(index_.entries()[0].extent, 400u);
  EXPECT_FALSE(index_.entries()[0].contiguous());
  EXPECT_EQ(index_.entries()[0].bytes, 200u);
}

TEST_F(ShardIndexTest, EntriesHoldAtMostMaxBatches) {
  for (uint32_t i = 0; i < 3 * ShardIndex::kMaxBatchesPerEntry; ++i) Add(1, i * 10, 1, 10);
  EXPECT_EQ(index_.entries().size(), 3u);
}

TEST_F(ShardIndexTest, FindCounterAndTime) {
  EXPECT_EQ(index_.FindCounter(5), -1);
  EXPECT_EQ(index_.FindTime(5), -1);
  Add(1, 0, 10, 1000);    // counters 1..10, arrival 1000
  Add(1, 1000, 10, 1000); // 11..20, arrival 11000
  Add(2, 0, 10, 1000);    // 21..30, arrival 21000
  EXPECT_EQ(index_.FindCounter(0), 0);
  EXPECT_EQ(index_.FindCounter(1), 0);
  EXPECT_EQ(index_.FindCounter(10), 0);
  EXPECT_EQ(index_.FindCounter(11), 1);
  EXPECT_EQ(index_.FindCounter(999), 2);
  EXPECT_EQ(index_.FindTime(0), 0);
  EXPECT_EQ(index_.FindTime(1000), 0);
  EXPECT_EQ(index_.FindTime(1001), 1);
  EXPECT_EQ(index_.FindTime(21000), 2);
  EXPECT_EQ(index_.FindTime(21001), -1);
}

TEST_F(ShardIndexTest, TrimReleasesWholeSegmentsOnly) {
  Add(1, 0, 10, 1000);     // arrival 1000
  Add(1, 1000, 10, 1000);  // arrival 11000; segment 1 ends here
  Add(2, 0, 10, 1000);     // arrival 21000
  Add(3, 0, 10, 1000);     // arrival 31000
  std::vector<uint64_t> released;
  index_.TrimBefore(99999, 15, &released);  // segment 1 holds counters past durable 15
  EXPECT_TRUE(released.empty());
  index_.TrimBefore(11000, 100, &released);  // segment 1's last batch is not older
  EXPECT_TRUE(released.empty());
  index_.TrimBefore(21001, 100, &released);
  EXPECT_EQ(released, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(index_.first_counter(), 31u);
  index_.TrimBefore(99999, 100, &released);  // the newest piece always stays
  EXPECT_EQ(released.size(), 2u);
  EXPECT_EQ(index_.first_counter(), 31u);
  index_.Clear(&released);
  EXPECT_EQ(released, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_TRUE(index_.empty());
}

}  // namespace
}  // namespace shoal::storage
