#include "storage/batch_format.h"

#include <bit>
#include <cstring>

#include "common/crc32c.h"

namespace shoal::storage {
namespace {

// Fixed-width little-endian coding (x86-64 is little-endian; memcpy keeps it alignment-safe).
static_assert(std::endian::native == std::endian::little, "the format is little-endian");

template <class T>
void Put(char* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}
template <class T>
T Get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Field offsets; see the diagram in batch_format.h.
constexpr size_t kMagicOff = 0, kCrcOff = 4, kVersionOff = 8, kTypeOff = 9, kFlagsOff = 10,
                 kLengthOff = 12, kRevisionOff = 16, kShardOff = 24, kCountOff = 28,
                 kFirstCounterOff = 32, kArrivalOff = 40, kPrevPosOff = 48;
static_assert(kPrevPosOff + 8 == kBatchHeaderSize);

}  // namespace

void BatchWriter::Begin(std::string* dst, const BatchHeader& header) {
  dst_ = dst;
  start_ = dst->size();
  count_ = 0;
  dst->resize(start_ + kBatchHeaderSize);
  char* p = dst->data() + start_;
  Put<uint32_t>(p + kMagicOff, kBatchMagic);
  Put<uint32_t>(p + kCrcOff, 0);
  Put<uint8_t>(p + kVersionOff, kBatchVersion);
  Put<uint8_t>(p + kTypeOff, static_cast<uint8_t>(BatchType::kRecords));
  Put<uint16_t>(p + kFlagsOff, 0);
  Put<uint32_t>(p + kLengthOff, 0);
  Put<uint64_t>(p + kRevisionOff, header.shard.stream_revision);
  Put<uint32_t>(p + kShardOff, header.shard.shard_index);
  Put<uint32_t>(p + kCountOff, 0);
  Put<uint64_t>(p + kFirstCounterOff, header.first_counter);
  Put<int64_t>(p + kArrivalOff, header.arrival_ms);
  Put<uint64_t>(p + kPrevPosOff, header.prev_pos);
}

void BatchWriter::Add(const RecordView& record) {
  size_t at = dst_->size();
  dst_->resize(at + EncodedRecordSize(record));
  char* p = dst_->data() + at;
  Put<uint16_t>(p, static_cast<uint16_t>(record.partition_key.size()));
  Put<uint32_t>(p + 2, static_cast<uint32_t>(record.data.size()));
  p += kRecordHeaderSize;
  std::memcpy(p, record.partition_key.data(), record.partition_key.size());
  std::memcpy(p + record.partition_key.size(), record.data.data(), record.data.size());
  ++count_;
}

uint32_t BatchWriter::Finish() {
  char* p = dst_->data() + start_;
  uint32_t length = static_cast<uint32_t>(dst_->size() - start_);
  Put<uint32_t>(p + kLengthOff, length);
  Put<uint32_t>(p + kCountOff, count_);
  uint32_t crc = Crc32c(std::string_view(p + kVersionOff, length - kVersionOff));
  Put<uint32_t>(p + kCrcOff, MaskCrc32c(crc));
  return length;
}

const char* DecodeStatusName(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::kOk:
      return "ok";
    case DecodeStatus::kTruncated:
      return "truncated batch";
    case DecodeStatus::kBadMagic:
      return "bad magic";
    case DecodeStatus::kBadVersion:
      return "unknown version or batch type";
    case DecodeStatus::kBadLength:
      return "bad length";
    case DecodeStatus::kBadChecksum:
      return "checksum mismatch";
    case DecodeStatus::kBadRecords:
      return "records do not match the batch length";
  }
  return "?";
}

DecodeStatus DecodeHeader(std::string_view bytes, BatchHeader* header) {
  if (bytes.size() < kBatchHeaderSize) return DecodeStatus::kTruncated;
  const char* p = bytes.data();
  if (Get<uint32_t>(p + kMagicOff) != kBatchMagic) return DecodeStatus::kBadMagic;
  if (Get<uint8_t>(p + kVersionOff) != kBatchVersion ||
      Get<uint8_t>(p + kTypeOff) != static_cast<uint8_t>(BatchType::kRecords)) {
    return DecodeStatus::kBadVersion;
  }
  header->length = Get<uint32_t>(p + kLengthOff);
  header->shard.stream_revision = Get<uint64_t>(p + kRevisionOff);
  header->shard.shard_index = Get<uint32_t>(p + kShardOff);
  header->count = Get<uint32_t>(p + kCountOff);
  header->first_counter = Get<uint64_t>(p + kFirstCounterOff);
  header->arrival_ms = Get<int64_t>(p + kArrivalOff);
  header->prev_pos = Get<uint64_t>(p + kPrevPosOff);
  // Each record takes at least its 6-byte header.
  if (header->length < kBatchHeaderSize ||
      (header->length - kBatchHeaderSize) / kRecordHeaderSize < header->count) {
    return DecodeStatus::kBadLength;
  }
  return DecodeStatus::kOk;
}

DecodeStatus VerifyBatch(std::string_view bytes, const BatchHeader& header) {
  if (bytes.size() < header.length) return DecodeStatus::kTruncated;
  const char* p = bytes.data();
  uint32_t crc = Crc32c(std::string_view(p + kVersionOff, header.length - kVersionOff));
  if (UnmaskCrc32c(Get<uint32_t>(p + kCrcOff)) != crc) return DecodeStatus::kBadChecksum;
  // Walk the record framing once so readers can trust it.
  size_t off = kBatchHeaderSize;
  for (uint32_t i = 0; i < header.count; ++i) {
    if (header.length - off < kRecordHeaderSize) return DecodeStatus::kBadRecords;
    uint64_t need = kRecordHeaderSize + uint64_t{Get<uint16_t>(p + off)} + Get<uint32_t>(p + off + 2);
    if (header.length - off < need) return DecodeStatus::kBadRecords;
    off += need;
  }
  return off == header.length ? DecodeStatus::kOk : DecodeStatus::kBadRecords;
}

RecordIterator::RecordIterator(std::string_view batch, const BatchHeader& header)
    : rest_(batch.substr(kBatchHeaderSize, header.length - kBatchHeaderSize)) {}

bool RecordIterator::Next(RecordView* record) {
  if (rest_.size() < kRecordHeaderSize) return false;
  size_t key_len = Get<uint16_t>(rest_.data());
  size_t data_len = Get<uint32_t>(rest_.data() + 2);
  record->partition_key = rest_.substr(kRecordHeaderSize, key_len);
  record->data = rest_.substr(kRecordHeaderSize + key_len, data_len);
  rest_.remove_prefix(kRecordHeaderSize + key_len + data_len);
  return true;
}

}  // namespace shoal::storage
