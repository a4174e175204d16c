#include "meta/log_format.h"

#include <algorithm>

#include "common/crc32c.h"
#include "meta/coding.h"

namespace shoal::meta {
namespace {

uint32_t ReadFixed32(std::string_view bytes) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(bytes[i])} << (8 * i);
  return v;
}

bool KnownType(uint8_t type) {
  return type == static_cast<uint8_t>(RecordType::kCommand) ||
         type == static_cast<uint8_t>(RecordType::kSnapshotHeader);
}

enum class Check { kIntact, kShortHeader, kPastEnd, kBadChecksum, kUnknownType };

// Classifies the record starting at `offset`; sets *length when the header is complete.
Check CheckRecordAt(std::string_view log, uint64_t offset, uint32_t* length) {
  std::string_view rest = log.substr(offset);
  if (rest.size() < kRecordHeaderSize) return Check::kShortHeader;
  *length = ReadFixed32(rest.substr(4));
  if (*length > rest.size() - kRecordHeaderSize) return Check::kPastEnd;
  uint32_t stored = UnmaskCrc32c(ReadFixed32(rest));
  if (Crc32c(rest.substr(4, 5 + size_t{*length})) != stored) return Check::kBadChecksum;
  if (!KnownType(static_cast<uint8_t>(rest[8]))) return Check::kUnknownType;
  return Check::kIntact;
}

// The offset of the first intact record starting after `offset`, or 0 if none.
uint64_t FindIntactRecordAfter(std::string_view log, uint64_t offset) {
  uint32_t length = 0;
  for (uint64_t p = offset + 1; p + kRecordHeaderSize <= log.size(); ++p) {
    if (CheckRecordAt(log, p, &length) == Check::kIntact) return p;
  }
  return 0;
}

MetaStatus Corrupt(uint64_t offset, std::string_view what) {
  return MetaStatus(MetaErrc::kCorruption,
                    "record at offset " + std::to_string(offset) + ": " + std::string(what));
}

// Decides what a non-intact record at `offset` means; OK means "a torn tail".
MetaStatus ClassifyDamage(std::string_view log, uint64_t offset, Check check, uint32_t length) {
  std::string_view rest = log.substr(offset);
  if (check == Check::kUnknownType) {
    return Corrupt(offset, "unknown record type " + std::to_string(static_cast<uint8_t>(rest[8])));
  }
  if (std::all_of(rest.begin(), rest.end(), [](char c) { return c == 0; })) {
    return MetaStatus::Ok();
  }
  uint64_t end = offset + kRecordHeaderSize + length;
  if (check == Check::kBadChecksum && end < log.size()) {
    return Corrupt(offset, "checksum mismatch, followed by " + std::to_string(log.size() - end) +
                               " more bytes");
  }
  if (uint64_t next = FindIntactRecordAfter(log, offset); next != 0) {
    return Corrupt(
        offset, "damaged header, followed by an intact record at offset " + std::to_string(next));
  }
  return MetaStatus::Ok();
}

}  // namespace

void AppendRecord(std::string* dst, RecordType type, std::string_view payload) {
  size_t start = dst->size();
  PutFixed32(dst, 0);  // the checksum, filled in below
  PutFixed32(dst, static_cast<uint32_t>(payload.size()));
  PutU8(dst, static_cast<uint8_t>(type));
  dst->append(payload);
  uint32_t crc = MaskCrc32c(Crc32c(std::string_view(*dst).substr(start + 4)));
  for (int i = 0; i < 4; ++i) (*dst)[start + i] = static_cast<char>(crc >> (8 * i));
}

MetaResult<LogScan> ScanLog(std::string_view log) {
  LogScan scan;
  uint64_t offset = 0;
  while (offset < log.size()) {
    uint32_t length = 0;
    Check check = CheckRecordAt(log, offset, &length);
    if (check != Check::kIntact) {
      SHOAL_RETURN_IF_ERROR(ClassifyDamage(log, offset, check, length));
      break;  // a torn tail: everything from `offset` on goes
    }
    scan.records.push_back(LogRecord{
        .offset = offset,
        .type = static_cast<RecordType>(log[offset + 8]),
        .payload = log.substr(offset + kRecordHeaderSize, length),
    });
    offset += kRecordHeaderSize + length;
    scan.valid_bytes = offset;
  }
  return scan;
}

}  // namespace shoal::meta
