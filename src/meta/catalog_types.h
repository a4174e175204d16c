#pragma once
// The catalog's tables: what a stream is, as stored. Plain data; the Kinesis rules that
// produce these values live in service/.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/uint128.h"

namespace shoal::meta {

// Stored as a byte: values are never renumbered.
enum class StreamStatus : uint8_t { kCreating = 0, kActive = 1, kUpdating = 2, kDeleting = 3 };
enum class StreamMode : uint8_t { kProvisioned = 0, kOnDemand = 1 };
enum class EncryptionType : uint8_t { kNone = 0, kKms = 1 };
enum class ConsumerStatus : uint8_t { kCreating = 0, kActive = 1, kDeleting = 2 };

struct ShardRecord {
  uint32_t index = 0;  // the number in "shardId-%012u"; never reused within a stream
  uint128 starting_hash_key = 0;
  uint128 ending_hash_key = 0;  // inclusive
  int64_t created_ms = 0;       // shard creation time (encoded in sequence numbers)
  std::optional<uint32_t> parent;           // ParentShardId
  std::optional<uint32_t> adjacent_parent;  // AdjacentParentShardId (merges)
  std::optional<int64_t> closed_ms;         // set when resharding closed the shard

  bool open() const { return !closed_ms.has_value(); }
  bool operator==(const ShardRecord&) const = default;
};

// An enhanced fan-out consumer of a stream (RegisterStreamConsumer). It belongs to one
// stream revision and disappears with it. Its identity within the stream is its name plus its
// creation time (the consumer ARN embeds the creation time in seconds), so commands that name
// a consumer also carry created_ms and can never reach a later consumer of the same name.
struct ConsumerRecord {
  std::string name;
  int64_t created_ms = 0;
  ConsumerStatus status = ConsumerStatus::kCreating;
  // When the current CREATING/DELETING state completes (epoch ms); 0 when ACTIVE.
  int64_t status_until_ms = 0;
  std::map<std::string, std::string> tags;

  bool operator==(const ConsumerRecord&) const = default;
};

struct StreamRecord {
  std::string name;
  // Unique for every stream ever created in this catalog, increasing; deleting and
  // recreating a name yields a new revision, which acts as the epoch of the stream's data.
  uint64_t revision = 0;
  StreamStatus status = StreamStatus::kCreating;
  // When the current CREATING/UPDATING/DELETING state completes (epoch ms); 0 when ACTIVE.
  int64_t status_until_ms = 0;
  StreamMode mode = StreamMode::kProvisioned;
  int64_t created_ms = 0;
  int32_t retention_hours = 24;
  uint32_t next_shard_index = 0;
  std::vector<ShardRecord> shards;  // ascending index
  std::map<std::string, std::string> tags;
  std::vector<std::string> shard_level_metrics;  // sorted, unique
  EncryptionType encryption = EncryptionType::kNone;
  std::string key_id;
  int32_t max_record_size_kib = 1024;
  // Times (epoch ms, ascending) of the stream's recent UpdateShardCount operations and
  // capacity-mode switches, for AWS's "per rolling 24 hours" limits. The service drops
  // entries older than 24 h whenever it writes them. (Format version 2.)
  std::vector<int64_t> scaling_ops_ms;
  std::vector<int64_t> mode_switches_ms;
  // Registered consumers by name. (Format version 3.)
  std::map<std::string, ConsumerRecord> consumers;

  bool operator==(const StreamRecord&) const = default;
};

}  // namespace shoal::meta
