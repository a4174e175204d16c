#pragma once
// Kinesis sequence numbers in AWS's current ("version 2") layout, a 186-bit integer written
// in decimal (spec §5.2):
//
//   seq = 2·2^184 + create_secs·2^148 + (shard & 0xF)·2^144 + counter·2^80
//         + byte1·2^72 + record_secs·2^36 + shard·2^4 + 2
//
// The counter sits above the time, so numbers within a shard increase with the counter.
// create_secs identifies the shard's incarnation (a recreated stream gets new shards with a
// new creation time), which is how stale numbers are told apart.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shoal::service {

struct SequenceNumber {
  uint64_t create_secs = 0;  // 36 bits
  uint32_t shard_index = 0;
  uint64_t counter = 0;      // 63 bits
  uint8_t byte1 = 0;
  uint64_t record_secs = 0;  // 36 bits

  static constexpr uint64_t kMaxCounter = (uint64_t{1} << 63) - 1;

  // The shard's StartingSequenceNumber: counter 0 at the shard's creation second.
  static SequenceNumber ShardStart(uint32_t shard_index, int64_t created_ms);
  // A closed shard's EndingSequenceNumber: the maximal counter at the close second.
  static SequenceNumber ShardEnd(uint32_t shard_index, int64_t created_ms, int64_t closed_ms);

  std::string ToString() const;
  // Parses a version-2 number; nullopt for anything else (other versions, junk, overflow,
  // a counter with its top bit set).
  static std::optional<SequenceNumber> Parse(std::string_view text);

  bool operator==(const SequenceNumber&) const = default;
};

}  // namespace shoal::service
