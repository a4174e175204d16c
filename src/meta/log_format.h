#pragma once
// meta.log record framing. The full format, with the recovery rules, is
// docs/formats/meta-log.md:
//
//   +-------------+-------------+----------+---------------------+
//   | crc32c (4)  | length (4)  | type (1) | payload (length)    |
//   +-------------+-------------+----------+---------------------+
//   crc32c = MaskCrc32c(Crc32c(length | type | payload)); integers little-endian.
//
// A log is a sequence of records with no padding. Record types are never reused.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "meta/meta_status.h"

namespace shoal::meta {

inline constexpr char kMetaLogName[] = "meta.log";
inline constexpr char kMetaLogTmpName[] = "meta.log.tmp";  // a snapshot being written

inline constexpr size_t kRecordHeaderSize = 9;

enum class RecordType : uint8_t {
  // 0 is reserved: a zero-filled tail must never parse as a record.
  kCommand = 1,         // payload: EncodeCommand()
  kSnapshotHeader = 2,  // payload: EncodeSnapshotHeader(); only as a log's first record
};

// Appends one framed record to *dst.
void AppendRecord(std::string* dst, RecordType type, std::string_view payload);

struct LogRecord {
  uint64_t offset = 0;  // of the record's first header byte
  RecordType type = RecordType::kCommand;
  std::string_view payload;  // a view into the scanned buffer
};

struct LogScan {
  std::vector<LogRecord> records;  // every intact record, in order
  uint64_t valid_bytes = 0;        // end of the last intact record
  // valid_bytes < log.size() means a torn tail that recovery truncates at valid_bytes.
};

// Splits a whole log into records. An intact record has a complete header, a payload within
// the buffer, a matching checksum and a known type. The first non-intact record ends the
// scan: it is a torn tail when it can only be the remains of an interrupted append, and
// kCorruption (naming its offset) otherwise. The rules (see the format doc):
//   * intact framing with an unknown type: corruption (a newer writer, not a torn write);
//   * only zero bytes from there to the end: torn tail (a file extended but never written);
//   * a complete record with a bad checksum and more bytes after it: corruption;
//   * a short header, a length past the end, or a bad checksum on the very last bytes: torn
//     tail, unless an intact record starts anywhere after it (then the length field was
//     damaged, and dropping what follows would lose data): corruption.
// REQUIRES: `log` outlives the returned payload views.
MetaResult<LogScan> ScanLog(std::string_view log);

}  // namespace shoal::meta
