#include "meta/log_format.h"

#include <gtest/gtest.h>

#include "common/crc32c.h"

namespace shoal::meta {
namespace {

std::string ThreeRecords() {
  std::string log;
  AppendRecord(&log, RecordType::kSnapshotHeader, "head");
  AppendRecord(&log, RecordType::kCommand, "");
  AppendRecord(&log, RecordType::kCommand, std::string(300, 'p'));
  return log;
}

TEST(LogFormatTest, FrameLayoutMatchesTheFormatDoc) {
  std::string log;
  AppendRecord(&log, RecordType::kCommand, "abc");
  ASSERT_EQ(log.size(), kRecordHeaderSize + 3);
  EXPECT_EQ(log.substr(4, 5), std::string("\x03\x00\x00\x00\x01", 5));
  EXPECT_EQ(log.substr(9), "abc");
  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) stored |= uint32_t{static_cast<uint8_t>(log[i])} << (8 * i);
  EXPECT_EQ(UnmaskCrc32c(stored), Crc32c(log.substr(4)));
}

TEST(LogFormatTest, ScansRecordsInOrder) {
  std::string log = ThreeRecords();
  auto scan = ScanLog(log);
  ASSERT_TRUE(scan.ok()) << scan.message();
  ASSERT_EQ(scan->records.size(), 3u);
  EXPECT_EQ(scan->records[0].type, RecordType::kSnapshotHeader);
  EXPECT_EQ(scan->records[0].payload, "head");
  EXPECT_EQ(scan->records[1].offset, 13u);
  EXPECT_EQ(scan->records[1].payload, "");
  EXPECT_EQ(scan->records[2].offset, 22u);
  EXPECT_EQ(scan->records[2].payload.size(), 300u);
  EXPECT_EQ(scan->valid_bytes, log.size());
  EXPECT_TRUE(ScanLog("").ok());
}

TEST(LogFormatTest, EveryTruncationIsATornTail) {
  std::string log = ThreeRecords();
  auto full = ScanLog(log);
  ASSERT_TRUE(full.ok());
  for (size_t n = 0; n < log.size(); ++n) {
    auto scan = ScanLog(std::string_view(log).substr(0, n));
    ASSERT_TRUE(scan.ok()) << n << ": " << scan.message();
    size_t expected_records = 0;
    for (const LogRecord& r : full->records) {
      if (r.offset + kRecordHeaderSize + r.payload.size() <= n) ++expected_records;
    }
    EXPECT_EQ(scan->records.size(), expected_records) << n;
  }
}

TEST(LogFormatTest, DamagedLastRecordIsATornTail) {
  std::string log = ThreeRecords();
  log[log.size() - 5] ^= 0x40;
  auto scan = ScanLog(log);
  ASSERT_TRUE(scan.ok()) << scan.message();
  EXPECT_EQ(scan->records.size(), 2u);
  EXPECT_EQ(scan->valid_bytes, 22u);
}

TEST(LogFormatTest, ZeroFilledTailIsATornTail) {
  std::string log = ThreeRecords();
  size_t good = log.size();
  log.append(100, '\0');
  auto scan = ScanLog(log);
  ASSERT_TRUE(scan.ok()) << scan.message();
  EXPECT_EQ(scan->valid_bytes, good);
}

TEST(LogFormatTest, EveryBitFlipInAMiddleRecordIsCorruption) {
  std::string log = ThreeRecords();
  const size_t start = 13, end = 22;  // the empty middle record: header only
  for (size_t bit = start * 8; bit < end * 8; ++bit) {
    std::string damaged = log;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    auto scan = ScanLog(damaged);
    ASSERT_FALSE(scan.ok()) << "bit " << bit;
    EXPECT_EQ(scan.code(), MetaErrc::kCorruption);
    EXPECT_NE(scan.message().find("offset 13"), std::string::npos) << scan.message();
  }
}

TEST(LogFormatTest, UnknownTypeWithGoodChecksumIsCorruptionEvenAtTheEnd) {
  std::string log;
  AppendRecord(&log, RecordType::kCommand, "x");
  AppendRecord(&log, static_cast<RecordType>(9), "future");
  auto scan = ScanLog(log);
  ASSERT_FALSE(scan.ok());
  EXPECT_NE(scan.message().find("unknown record type 9"), std::string::npos) << scan.message();
}

TEST(LogFormatTest, LengthPastTheEndWithIntactRecordsAfterIsCorruption) {
  std::string log = ThreeRecords();
  log[13 + 7] = 0x7f;  // the middle record's length now reaches far past the end
  auto scan = ScanLog(log);
  ASSERT_FALSE(scan.ok());
  EXPECT_NE(scan.message().find("intact record at offset 22"), std::string::npos) << scan.message();
}

}  // namespace
}  // namespace shoal::meta
