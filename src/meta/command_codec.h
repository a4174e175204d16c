#pragma once
// Binary encoding of catalog commands and of the snapshot header: the payloads of meta.log
// records. The format (field order, tag table, version rules) is docs/formats/meta-log.md.
//
//   command payload:  | version (1) = 3 | tag (1) | body ... |
//   snapshot header:  | version (1) = 3 | last_revision varint64 | stream_count varint32 |
//
// The encoders write version 3; the decoders also read versions 1 (whose StreamRecord lacks
// the two history lists, read as empty) and 2 (whose StreamRecord lacks the consumers, read
// as none).
//
// Encodings are canonical: the decoders accept exactly what the encoders produce and reject
// everything else (truncation, trailing bytes, unknown tags or enum values, presence bytes
// other than 0/1, overlong varints, tag keys out of order) with kCorruption, never crashing.

#include <cstdint>
#include <string>
#include <string_view>

#include "meta/commands.h"
#include "meta/meta_status.h"

namespace shoal::meta {

inline constexpr uint8_t kCommandFormatVersion = 3;
inline constexpr uint8_t kOldestCommandFormatVersion = 1;

// One byte per command type, stored in every command payload. Never reuse or renumber a
// tag; retire a command by commenting its tag out here and in the format doc.
enum class CommandTag : uint8_t {
  // 0 is reserved: never a valid tag.
  kCreateStream = 1,
  kSetStreamStatus = 2,
  kDeleteStream = 3,
  kSetRetention = 4,
  kAddTags = 5,
  kRemoveTags = 6,
  kSetShardLevelMetrics = 7,
  kReshard = 8,
  kSetStreamMode = 9,
  kRegisterConsumer = 10,    // version 3
  kSetConsumerStatus = 11,   // version 3
  kDeregisterConsumer = 12,  // version 3
  kSetConsumerTags = 13,     // version 3
};

CommandTag TagOf(const Command& cmd);

std::string EncodeCommand(const Command& cmd);
// Fails with kCorruption naming the first bad field and its byte offset in `payload`.
MetaResult<Command> DecodeCommand(std::string_view payload);

// The first record of a compacted log: the highest revision ever used (which no live stream
// may carry once its creator was deleted) and how many CreateStream records follow it.
struct SnapshotHeader {
  uint64_t last_revision = 0;
  uint32_t stream_count = 0;
  bool operator==(const SnapshotHeader&) const = default;
};

std::string EncodeSnapshotHeader(const SnapshotHeader& header);
MetaResult<SnapshotHeader> DecodeSnapshotHeader(std::string_view payload);

}  // namespace shoal::meta
