#pragma once
// The shared log's on-disk batch framing. The full format, with the recovery rules, is
// docs/formats/shard-log.md. A segment file is a sequence of batches with no padding:
//
//   0       4       8   9   10      12      16               24        28       32
//   +-------+-------+---+---+-------+-------+----------------+---------+--------+
//   | magic | crc   |ver|typ| flags | length| stream_revision| shard   | count  |
//   +-------+-------+---+---+-------+-------+----------------+---------+--------+
//   32               40               48               56
//   +----------------+----------------+----------------+---------------------------+
//   | first_counter  | arrival_ms     | prev_pos       | records (count of them)   |
//   +----------------+----------------+----------------+---------------------------+
//   record: | key_len u16 | data_len u32 | partition key | data |
//
//   magic = "SHLB"; crc = MaskCrc32c(Crc32c(bytes [8, length))); integers little-endian;
//   length counts the whole batch, header included; prev_pos is the position of the same
//   shard's previous batch (0: none), a position being (segment id << 32 | file offset).
// Versions and batch types are never reused.

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/log_engine.h"

namespace shoal::storage {

inline constexpr uint32_t kBatchMagic = 0x424c4853;  // "SHLB" read as little-endian
inline constexpr uint8_t kBatchVersion = 1;
inline constexpr size_t kBatchHeaderSize = 56;
inline constexpr size_t kRecordHeaderSize = 6;
inline constexpr uint32_t kMaxKeyBytes = 0xffff;

enum class BatchType : uint8_t {
  // 0 is reserved: a zero-filled tail must never parse as a batch.
  kRecords = 1,
};

// A position in the shared log: (segment id << 32) | byte offset. 0 means "none" (segment
// ids start at 1).
using LogPos = uint64_t;
inline constexpr LogPos MakePos(uint64_t segment, uint64_t offset) { return segment << 32 | offset; }
inline constexpr uint64_t PosSegment(LogPos pos) { return pos >> 32; }
inline constexpr uint64_t PosOffset(LogPos pos) { return pos & 0xffffffffu; }

struct BatchHeader {
  uint32_t length = 0;  // whole batch, header included
  ShardKey shard;
  uint32_t count = 0;
  uint64_t first_counter = 0;
  int64_t arrival_ms = 0;
  LogPos prev_pos = 0;
};

// Bytes a record adds to a batch.
inline size_t EncodedRecordSize(const RecordView& r) {
  return kRecordHeaderSize + r.partition_key.size() + r.data.size();
}

// Builds one batch in place. Usage: Begin(), Add() each record, Finish(). The writer appends to
// `*dst` (whose earlier contents are kept) and never allocates beyond growing `dst`.
class BatchWriter {
 public:
  // REQUIRES: header.count and header.length are filled in by Finish().
  void Begin(std::string* dst, const BatchHeader& header);
  // REQUIRES: key.size() <= kMaxKeyBytes, data.size() < 4 GiB.
  void Add(const RecordView& record);
  // Writes count, length and the checksum; returns the batch's length.
  uint32_t Finish();

 private:
  std::string* dst_ = nullptr;
  size_t start_ = 0;
  uint32_t count_ = 0;
};

enum class DecodeStatus {
  kOk,
  kTruncated,  // the bytes end before the header or the batch does
  kBadMagic,
  kBadVersion,
  kBadLength,  // a length smaller than a header, or past the segment limit
  kBadChecksum,
  kBadRecords,  // the checksum matched but the records do not add up (a writer bug)
};
const char* DecodeStatusName(DecodeStatus s);

// Parses a batch header from `bytes` (which may hold more than one batch, or less than a
// whole one). Checks magic, version, type and length sanity; not the checksum.
DecodeStatus DecodeHeader(std::string_view bytes, BatchHeader* header);

// Verifies a whole batch (`bytes` starts at the batch and holds at least header.length bytes)
// and its record framing.
DecodeStatus VerifyBatch(std::string_view bytes, const BatchHeader& header);

// Iterates the records of a verified batch. REQUIRES: VerifyBatch() returned kOk.
class RecordIterator {
 public:
  RecordIterator(std::string_view batch, const BatchHeader& header);
  bool Next(RecordView* record);

 private:
  std::string_view rest_;
};

}  // namespace shoal::storage
