#pragma once
// Catalog commands: every change to the catalog is one of these, appended to the durable
// command log before it is applied to the in-memory tables (LevelDB's VersionEdit +
// LogAndApply). Commands carry final values (never "add one"), so replaying them is exact.
// Each command names its stream by name and revision; applying a command to a stream whose
// revision differs is rejected, so commands can never leak between incarnations of a name.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "meta/catalog_types.h"

namespace shoal::meta {

// A new stream, complete (also how a snapshot restores a stream of any status).
// REQUIRES: no stream of that name exists; record.revision > every revision seen so far.
struct CreateStreamCmd {
  StreamRecord record;
  bool operator==(const CreateStreamCmd&) const = default;
};

struct SetStreamStatusCmd {
  std::string name;
  uint64_t revision = 0;
  StreamStatus status = StreamStatus::kActive;
  int64_t status_until_ms = 0;
  bool operator==(const SetStreamStatusCmd&) const = default;
};

// Removes the stream from the tables (the end of DELETING).
struct DeleteStreamCmd {
  std::string name;
  uint64_t revision = 0;
  bool operator==(const DeleteStreamCmd&) const = default;
};

struct SetRetentionCmd {
  std::string name;
  uint64_t revision = 0;
  int32_t retention_hours = 24;
  bool operator==(const SetRetentionCmd&) const = default;
};

// Sets (adds or overwrites) the given tags.
struct AddTagsCmd {
  std::string name;
  uint64_t revision = 0;
  std::map<std::string, std::string> tags;
  bool operator==(const AddTagsCmd&) const = default;
};

// Removes the given keys; unknown keys are ignored.
struct RemoveTagsCmd {
  std::string name;
  uint64_t revision = 0;
  std::vector<std::string> keys;
  bool operator==(const RemoveTagsCmd&) const = default;
};

// Replaces the stream's set of enabled shard-level metrics.
struct SetShardLevelMetricsCmd {
  std::string name;
  uint64_t revision = 0;
  std::vector<std::string> metrics;  // sorted, unique
  bool operator==(const SetShardLevelMetricsCmd&) const = default;
};

// One whole reshard (SplitShard, MergeShards, UpdateShardCount), applied atomically: closes
// the `closed` shards at `closed_ms`, adds `new_shards` (their indexes ascending, at or above
// the stream's next_shard_index and below the new `next_shard_index`), and sets the status
// (UPDATING until `status_until_ms`, or ACTIVE) and the scaling history.
// REQUIRES: every closed index names an open shard of the stream.
struct ReshardCmd {
  std::string name;
  uint64_t revision = 0;
  std::vector<uint32_t> closed;  // shard indexes, ascending
  int64_t closed_ms = 0;
  std::vector<ShardRecord> new_shards;
  uint32_t next_shard_index = 0;
  StreamStatus status = StreamStatus::kUpdating;
  int64_t status_until_ms = 0;
  std::vector<int64_t> scaling_ops_ms;  // the stream's new StreamRecord::scaling_ops_ms
  bool operator==(const ReshardCmd&) const = default;
};

// UpdateStreamMode: the new capacity mode, status and mode-switch history.
struct SetStreamModeCmd {
  std::string name;
  uint64_t revision = 0;
  StreamMode mode = StreamMode::kProvisioned;
  StreamStatus status = StreamStatus::kUpdating;
  int64_t status_until_ms = 0;
  std::vector<int64_t> mode_switches_ms;  // the stream's new StreamRecord::mode_switches_ms
  bool operator==(const SetStreamModeCmd&) const = default;
};

// Registers a consumer on the stream.
// REQUIRES: the stream has no consumer named consumer.name (in any status).
struct RegisterConsumerCmd {
  std::string name;
  uint64_t revision = 0;
  ConsumerRecord consumer;
  bool operator==(const RegisterConsumerCmd&) const = default;
};

// The consumer commands below name their consumer by name and creation time: the stream
// must have a consumer `consumer` whose created_ms equals `consumer_created_ms`.

// Sets a consumer's status (CREATING -> ACTIVE, * -> DELETING).
struct SetConsumerStatusCmd {
  std::string name;
  uint64_t revision = 0;
  std::string consumer;
  int64_t consumer_created_ms = 0;
  ConsumerStatus status = ConsumerStatus::kActive;
  int64_t status_until_ms = 0;
  bool operator==(const SetConsumerStatusCmd&) const = default;
};

// Removes a consumer (the end of its DELETING).
struct DeregisterConsumerCmd {
  std::string name;
  uint64_t revision = 0;
  std::string consumer;
  int64_t consumer_created_ms = 0;
  bool operator==(const DeregisterConsumerCmd&) const = default;
};

// Replaces a consumer's tags with `tags` (TagResource/UntagResource on a consumer ARN).
struct SetConsumerTagsCmd {
  std::string name;
  uint64_t revision = 0;
  std::string consumer;
  int64_t consumer_created_ms = 0;
  std::map<std::string, std::string> tags;
  bool operator==(const SetConsumerTagsCmd&) const = default;
};

using Command = std::variant<CreateStreamCmd, SetStreamStatusCmd, DeleteStreamCmd,
                             SetRetentionCmd, AddTagsCmd, RemoveTagsCmd,
                             SetShardLevelMetricsCmd, ReshardCmd, SetStreamModeCmd,
                             RegisterConsumerCmd, SetConsumerStatusCmd, DeregisterConsumerCmd,
                             SetConsumerTagsCmd>;

// The command's type name without "Cmd", e.g. "CreateStream" (for messages and logs).
std::string_view CommandName(const Command& cmd);
// The name of the stream the command changes.
const std::string& CommandStreamName(const Command& cmd);
// The revision the command names: the new stream's revision for CreateStreamCmd, otherwise
// the revision the stream must have.
uint64_t CommandRevision(const Command& cmd);

}  // namespace shoal::meta
