#include "storage/batch_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shoal::storage {
namespace {

std::string Encode(const BatchHeader& header, const std::vector<RecordView>& records,
                   std::string prefix = "") {
  std::string buf = std::move(prefix);
  BatchWriter w;
  w.Begin(&buf, header);
  for (const RecordView& r : records) w.Add(r);
  w.Finish();
  return buf;
}

const BatchHeader kHeader{.length = 0,
                          .shard = {.stream_revision = 7, .shard_index = 3},
                          .count = 0,
                          .first_counter = 100,
                          .arrival_ms = 1'700'000'000'123,
                          .prev_pos = MakePos(2, 4096)};

TEST(BatchFormatTest, RoundTripsHeaderAndRecords) {
  std::string key(300, 'k');
  std::string big(5000, '\xff');
  std::vector<RecordView> records = {{"pk", "data"}, {"", ""}, {key, big}};
  std::string buf = Encode(kHeader, records, "xyz");  // appends after existing bytes
  ASSERT_EQ(buf.substr(0, 3), "xyz");
  std::string_view batch = std::string_view(buf).substr(3);
  BatchHeader h;
  ASSERT_EQ(DecodeHeader(batch, &h), DecodeStatus::kOk);
  EXPECT_EQ(h.length, batch.size());
  EXPECT_EQ(h.length, kBatchHeaderSize + 6 * 3 + 2 + 4 + 300 + 5000);
  EXPECT_EQ(h.shard, kHeader.shard);
  EXPECT_EQ(h.count, 3u);
  EXPECT_EQ(h.first_counter, 100u);
  EXPECT_EQ(h.arrival_ms, kHeader.arrival_ms);
  EXPECT_EQ(h.prev_pos, kHeader.prev_pos);
  ASSERT_EQ(VerifyBatch(batch, h), DecodeStatus::kOk);
  RecordIterator it(batch, h);
  RecordView r;
  for (const RecordView& want : records) {
    ASSERT_TRUE(it.Next(&r));
    EXPECT_EQ(r.partition_key, want.partition_key);
    EXPECT_EQ(r.data, want.data);
  }
  EXPECT_FALSE(it.Next(&r));
}

TEST(BatchFormatTest, LayoutMatchesTheFormatDocument) {
  std::string buf = Encode(kHeader, {{"k", "v"}});
  ASSERT_EQ(buf.size(), 56u + 6 + 2);
  EXPECT_EQ(buf.substr(0, 4), "SHLB");
  EXPECT_EQ(buf[8], 1);   // version
  EXPECT_EQ(buf[9], 1);   // type: records
  EXPECT_EQ(static_cast<uint8_t>(buf[12]), 64);  // length, little-endian
  EXPECT_EQ(buf[16], 7);  // stream revision
  EXPECT_EQ(buf[24], 3);  // shard index
  EXPECT_EQ(buf[28], 1);  // count
  EXPECT_EQ(buf[32], 100);  // first counter
  EXPECT_EQ(buf[56], 1);  // key length
  EXPECT_EQ(buf[58], 1);  // data length
  EXPECT_EQ(buf.substr(62), "kv");
}

TEST(BatchFormatTest, EveryTruncationIsDetected) {
  std::string buf = Encode(kHeader, {{"pk", "hello"}, {"pk2", "world"}});
  for (size_t n = 0; n < buf.size(); ++n) {
    std::string_view part(buf.data(), n);
    BatchHeader h;
    DecodeStatus st = DecodeHeader(part, &h);
    if (st == DecodeStatus::kOk) st = VerifyBatch(part, h);
    EXPECT_EQ(st, DecodeStatus::kTruncated) << n;
  }
}

TEST(BatchFormatTest, EveryFlippedBitIsDetected) {
  std::string buf = Encode(kHeader, {{"pk", "hello"}, {"pk2", "world"}});
  for (size_t byte = 0; byte < buf.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = buf;
      bad[byte] ^= static_cast<char>(1 << bit);
      BatchHeader h;
      DecodeStatus st = DecodeHeader(bad, &h);
      if (st == DecodeStatus::kOk) st = VerifyBatch(bad, h);
      EXPECT_NE(st, DecodeStatus::kOk) << "byte " << byte << " bit " << bit;
    }
  }
}

TEST(BatchFormatTest, ZerosAndGarbageAreNotBatches) {
  BatchHeader h;
  EXPECT_EQ(DecodeHeader(std::string(100, '\0'), &h), DecodeStatus::kBadMagic);
  std::string buf = Encode(kHeader, {{"k", "v"}});
  buf[8] = 2;  // a future version
  EXPECT_EQ(DecodeHeader(buf, &h), DecodeStatus::kBadVersion);
  buf = Encode(kHeader, {{"k", "v"}});
  buf[9] = 0;  // type 0 is reserved
  EXPECT_EQ(DecodeHeader(buf, &h), DecodeStatus::kBadVersion);
}

TEST(BatchFormatTest, PositionsPackSegmentAndOffset) {
  LogPos p = MakePos(123456, 0xfffffff0u);
  EXPECT_EQ(PosSegment(p), 123456u);
  EXPECT_EQ(PosOffset(p), 0xfffffff0u);
}

}  // namespace
}  // namespace shoal::storage
