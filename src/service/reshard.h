#pragma once
// The resharding and capacity-mode rules (SplitShard, MergeShards, UpdateShardCount,
// UpdateStreamMode) as pure planners: each takes the stream's current record and the time and
// returns the one catalog command that performs the whole operation, or the Kinesis error.
// No I/O, no locks: StreamService calls them under its lock and commits the command.
// Design and the lineage rules of UpdateShardCount: docs/design/resharding.md.

#include <cstdint>
#include <string>
#include <string_view>

#include "meta/catalog_types.h"
#include "meta/commands.h"
#include "service/errors.h"

namespace shoal::service {

struct ReshardContext {
  const meta::StreamRecord& stream;
  int64_t now_ms = 0;
  std::string account_id;
  std::string region;
  int64_t update_delay_ms = 0;  // how long the stream stays UPDATING (0: stays ACTIVE)
  int64_t shard_limit = 0;      // the account's quota of open provisioned shards
  int64_t account_open_shards = 0;  // open provisioned shards of the account now
  // True for a step of the on-demand autoscaler (docs/design/autoscaling.md): the stream
  // must be ON_DEMAND (not PROVISIONED), and neither the account's provisioned-shard quota
  // nor the 10-per-24-h UpdateShardCount limit applies (nor is the step recorded in it).
  bool on_demand_scaling = false;
};

// AWS's rolling-window limits.
inline constexpr int64_t kRollingWindowMs = 24 * 3'600'000;
inline constexpr size_t kMaxScalingOpsPerDay = 10;
inline constexpr size_t kMaxModeSwitchesPerDay = 2;
inline constexpr int64_t kMaxShardsPerStream = 10'000;
// A child's creation time is its parents' close time plus this (AWS: + 1 s), so its
// StartingSequenceNumber lies above the parents' EndingSequenceNumber.
inline constexpr int64_t kChildCreationDelayMs = 1000;

SvcResult<meta::ReshardCmd> PlanSplit(const ReshardContext& ctx, std::string_view shard_to_split,
                                      std::string_view new_starting_hash_key);

SvcResult<meta::ReshardCmd> PlanMerge(const ReshardContext& ctx, std::string_view shard_to_merge,
                                      std::string_view adjacent_shard_to_merge);

struct UniformScalingPlan {
  meta::ReshardCmd cmd;
  int64_t current_shard_count = 0;  // open shards before
};
SvcResult<UniformScalingPlan> PlanUniformScaling(const ReshardContext& ctx, int64_t target);

SvcResult<meta::SetStreamModeCmd> PlanStreamMode(const ReshardContext& ctx,
                                                 meta::StreamMode target);

}  // namespace shoal::service
