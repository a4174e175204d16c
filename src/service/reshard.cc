#include "service/reshard.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "service/hash_ranges.h"
#include "service/stream_service.h"

namespace shoal::service {

using meta::ReshardCmd;
using meta::ShardRecord;
using meta::StreamMode;
using meta::StreamRecord;
using meta::StreamStatus;

namespace {

const char* ModeName(StreamMode m) {
  return m == StreamMode::kOnDemand ? "ON_DEMAND" : "PROVISIONED";
}

// Split, merge and UpdateShardCount need an ACTIVE, provisioned stream.
SvcStatus CheckReshardable(const ReshardContext& ctx, std::string_view op) {
  const StreamRecord& s = ctx.stream;
  if (s.status != StreamStatus::kActive) {
    return {Errc::kResourceInUse,
            fmt::format("Stream {} under account {} not ACTIVE, instead in state {}", s.name,
                        ctx.account_id, StreamStatusName(s.status))};
  }
  if (ctx.on_demand_scaling) {
    if (s.mode == StreamMode::kOnDemand) return {};
    return {Errc::kValidation, fmt::format("Stream {} under account {} is not ON_DEMAND.",
                                           s.name, ctx.account_id)};
  }
  if (s.mode != StreamMode::kProvisioned) {
    return {Errc::kValidation,
            fmt::format("{} is not supported for stream {} under account {} because its "
                        "capacity mode is ON_DEMAND.",
                        op, s.name, ctx.account_id)};
  }
  return {};
}

SvcStatus CheckShardQuota(const ReshardContext& ctx, int64_t additional) {
  // On-demand shards are not bounded by the provisioned-shard quota.
  if (ctx.on_demand_scaling) return {};
  if (additional <= 0 || ctx.account_open_shards + additional <= ctx.shard_limit) return {};
  return {Errc::kLimitExceeded,
          fmt::format("This request would exceed the shard limit for the account {} in {}. "
                      "Current shard count for the account: {}. Limit: {}. Number of "
                      "additional shards that would have resulted from this request: {}. "
                      "Refer to the AWS Service Limits page "
                      "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) "
                      "for current limits and how to request higher limits.",
                      ctx.account_id, ctx.region, ctx.account_open_shards, ctx.shard_limit,
                      additional)};
}

// The open shard named by a ShardId argument (AWS's lenient parse), or the Kinesis error.
SvcResult<const ShardRecord*> FindOpenShard(const ReshardContext& ctx, std::string_view id) {
  const StreamRecord& s = ctx.stream;
  auto index = ParseShardId(id);
  if (!index) {
    return {Errc::kResourceNotFound,
            fmt::format("Could not find shard {} in stream {} under account {}.", id, s.name,
                        ctx.account_id)};
  }
  auto it = std::lower_bound(s.shards.begin(), s.shards.end(), *index,
                             [](const ShardRecord& shard, uint32_t i) { return shard.index < i; });
  if (it == s.shards.end() || it->index != *index) {
    return {Errc::kResourceNotFound,
            fmt::format("Shard {} in stream {} under account {} does not exist", ShardIdString(*index),
                        s.name, ctx.account_id)};
  }
  if (!it->open()) {
    return {Errc::kInvalidArgument,
            fmt::format("Shard {} in stream {} under account {} has already been merged or "
                        "split, and thus is not eligible for merging or splitting.",
                        ShardIdString(*index), s.name, ctx.account_id)};
  }
  return &*it;
}

// When a reshard closes shards: now, or, when an open shard's creation time is still ahead
// (it was made by a reshard less than a second ago), that time. New shards are created one
// second after the close (AWS's rule, spec §5.2), so always in a later second than the shards
// they replace: sequence numbers order shards of different creation seconds by that second,
// but shards of the same second by the low four bits of their index, so a child born in its
// parent's second could number its records below the parent's.
int64_t CloseMs(const ReshardContext& ctx) {
  int64_t t = ctx.now_ms;
  for (const ShardRecord& s : ctx.stream.shards) {
    if (s.open()) t = std::max(t, s.created_ms);
  }
  return t;
}

int64_t ChildCreatedMs(const ReshardContext& ctx) { return CloseMs(ctx) + kChildCreationDelayMs; }

// The command's common part: target, status and the unchanged scaling history.
ReshardCmd NewReshard(const ReshardContext& ctx) {
  ReshardCmd cmd;
  cmd.name = ctx.stream.name;
  cmd.revision = ctx.stream.revision;
  cmd.closed_ms = CloseMs(ctx);
  cmd.next_shard_index = ctx.stream.next_shard_index;
  cmd.status = ctx.update_delay_ms > 0 ? StreamStatus::kUpdating : StreamStatus::kActive;
  cmd.status_until_ms = ctx.update_delay_ms > 0 ? ctx.now_ms + ctx.update_delay_ms : 0;
  cmd.scaling_ops_ms = ctx.stream.scaling_ops_ms;
  return cmd;
}

ShardRecord& AddChild(ReshardCmd& cmd, uint128 start, uint128 end, int64_t created_ms,
                      std::optional<uint32_t> parent, std::optional<uint32_t> adjacent) {
  ShardRecord child;
  child.index = cmd.next_shard_index++;
  child.starting_hash_key = start;
  child.ending_hash_key = end;
  child.created_ms = created_ms;
  child.parent = parent;
  child.adjacent_parent = adjacent;
  cmd.new_shards.push_back(child);
  return cmd.new_shards.back();
}

// The entries of `times` within the rolling window ending at `now`.
std::vector<int64_t> Recent(const std::vector<int64_t>& times, int64_t now) {
  std::vector<int64_t> out;
  for (int64_t t : times) {
    if (t > now - kRollingWindowMs) out.push_back(t);
  }
  return out;
}

}  // namespace

SvcResult<ReshardCmd> PlanSplit(const ReshardContext& ctx, std::string_view shard_to_split,
                                std::string_view new_starting_hash_key) {
  SHOAL_RETURN_IF_ERROR(CheckReshardable(ctx, "SplitShard"));
  auto parent = FindOpenShard(ctx, shard_to_split);
  if (!parent.ok()) return parent.status();
  const ShardRecord& p = **parent;
  // AWS (kinesalite, production-tested): accepted when Start + 1 < k < End, so each child
  // covers at least two hash keys.
  auto key = ParseUint128(new_starting_hash_key);
  if (!key || *key <= p.starting_hash_key + 1 || *key >= p.ending_hash_key) {
    return {Errc::kInvalidArgument,
            fmt::format("NewStartingHashKey {} used in SplitShard() on shard {} in stream {} "
                        "under account {} is not both greater than one plus the shard's "
                        "StartingHashKey {} and less than the shard's EndingHashKey {}.",
                        new_starting_hash_key, ShardIdString(p.index), ctx.stream.name,
                        ctx.account_id, FormatUint128(p.starting_hash_key),
                        FormatUint128(p.ending_hash_key))};
  }
  SHOAL_RETURN_IF_ERROR(CheckShardQuota(ctx, 1));
  ReshardCmd cmd = NewReshard(ctx);
  cmd.closed = {p.index};
  int64_t created = ChildCreatedMs(ctx);
  AddChild(cmd, p.starting_hash_key, *key - 1, created, p.index, std::nullopt);
  AddChild(cmd, *key, p.ending_hash_key, created, p.index, std::nullopt);
  return cmd;
}

SvcResult<ReshardCmd> PlanMerge(const ReshardContext& ctx, std::string_view shard_to_merge,
                                std::string_view adjacent_shard_to_merge) {
  SHOAL_RETURN_IF_ERROR(CheckReshardable(ctx, "MergeShards"));
  auto a = FindOpenShard(ctx, shard_to_merge);
  if (!a.ok()) return a.status();
  auto b = FindOpenShard(ctx, adjacent_shard_to_merge);
  if (!b.ok()) return b.status();
  const ShardRecord& lo = **a;
  const ShardRecord& hi = **b;
  // ShardToMerge must be the lower range: AWS rejected the reversed order.
  if (lo.ending_hash_key == kUint128Max || lo.ending_hash_key + 1 != hi.starting_hash_key) {
    return {Errc::kInvalidArgument,
            fmt::format("Shards {} and {} in stream {} under account {} are not an adjacent pair "
                        "of shards eligible for merging",
                        ShardIdString(lo.index), ShardIdString(hi.index), ctx.stream.name,
                        ctx.account_id)};
  }
  ReshardCmd cmd = NewReshard(ctx);
  cmd.closed = {std::min(lo.index, hi.index), std::max(lo.index, hi.index)};
  AddChild(cmd, lo.starting_hash_key, hi.ending_hash_key, ChildCreatedMs(ctx),
           lo.index, hi.index);
  return cmd;
}

SvcResult<UniformScalingPlan> PlanUniformScaling(const ReshardContext& ctx, int64_t target) {
  SHOAL_RETURN_IF_ERROR(CheckReshardable(ctx, "UpdateShardCount"));
  const StreamRecord& s = ctx.stream;
  std::vector<const ShardRecord*> old;
  for (const ShardRecord& shard : s.shards) {
    if (shard.open()) old.push_back(&shard);
  }
  std::sort(old.begin(), old.end(), [](const ShardRecord* x, const ShardRecord* y) {
    return x->starting_hash_key < y->starting_hash_key;
  });
  int64_t open = static_cast<int64_t>(old.size());
  // kinesalite's texts (taken from AWS), all LimitExceededException.
  if (target > kMaxShardsPerStream) {
    return {Errc::kLimitExceeded,
            fmt::format("Target shard count or number of open shards cannot be greater than {}. "
                        "Current open shard count: {}, Target shard count: {}",
                        kMaxShardsPerStream, open, target)};
  }
  if (target > 2 * open) {
    return {Errc::kLimitExceeded,
            fmt::format("UpdateShardCount cannot scale up over double your current open shard "
                        "count. Current open shard count: {}, Target shard count: {}",
                        open, target)};
  }
  if (2 * target < open) {
    return {Errc::kLimitExceeded,
            fmt::format("UpdateShardCount cannot scale down below half your current open shard "
                        "count. Current open shard count: {}, Target shard count: {}",
                        open, target)};
  }
  std::vector<int64_t> history = Recent(s.scaling_ops_ms, ctx.now_ms);
  if (!ctx.on_demand_scaling && history.size() >= kMaxScalingOpsPerDay) {
    return {Errc::kLimitExceeded,
            fmt::format("Rate exceeded for stream {} under account {}: UpdateShardCount can be "
                        "called at most {} times per rolling 24 hours.",
                        s.name, ctx.account_id, kMaxScalingOpsPerDay)};
  }
  SHOAL_RETURN_IF_ERROR(CheckShardQuota(ctx, target - open));

  UniformScalingPlan plan;
  plan.current_shard_count = open;
  ReshardCmd& cmd = plan.cmd;
  cmd = NewReshard(ctx);
  if (!ctx.on_demand_scaling) {
    history.push_back(ctx.now_ms);
    cmd.scaling_ops_ms = std::move(history);
  }
  int64_t created = ChildCreatedMs(ctx);
  std::vector<HashRange> layout = EvenHashRanges(static_cast<uint32_t>(target));
  // An old shard whose range is already one of the layout's stays open as it is (it overlaps
  // no other new range); every other old shard is closed.
  auto kept = [&](const ShardRecord* o) {
    auto it = std::lower_bound(layout.begin(), layout.end(), o->starting_hash_key,
                               [](const HashRange& r, uint128 k) { return r.start < k; });
    return it != layout.end() && it->start == o->starting_hash_key &&
           it->end == o->ending_hash_key;
  };
  for (const ShardRecord* o : old) {
    if (!kept(o)) cmd.closed.push_back(o->index);
  }
  std::sort(cmd.closed.begin(), cmd.closed.end());
  // Each new range's parents are the old shards overlapping it, so every key's old shard is
  // an ancestor of its new shard. Kinesis records at most two parents per shard: a range
  // overlapping m >= 3 old shards is reached through intermediates (born closed): one piece
  // per old shard (its overlap with the range), then a chain of merges of those pieces.
  size_t first = 0;  // the first old shard that may overlap the current range
  for (const HashRange& r : layout) {
    while (old[first]->ending_hash_key < r.start) ++first;
    std::vector<const ShardRecord*> over;
    for (size_t i = first; i < old.size() && old[i]->starting_hash_key <= r.end; ++i) {
      over.push_back(old[i]);
    }
    if (over.size() == 1 && kept(over[0])) continue;
    if (over.size() <= 2) {
      std::optional<uint32_t> adjacent;
      if (over.size() == 2) adjacent = over[1]->index;
      AddChild(cmd, r.start, r.end, created, over[0]->index, adjacent);
      continue;
    }
    std::vector<uint32_t> pieces;
    for (const ShardRecord* o : over) {
      ShardRecord& piece = AddChild(cmd, std::max(o->starting_hash_key, r.start),
                                    std::min(o->ending_hash_key, r.end), created, o->index,
                                    std::nullopt);
      piece.closed_ms = created;
      pieces.push_back(piece.index);
    }
    uint32_t acc = pieces[0];
    for (size_t j = 1; j < pieces.size(); ++j) {
      uint128 end = j + 1 == pieces.size() ? r.end : std::min(over[j]->ending_hash_key, r.end);
      ShardRecord& merged = AddChild(cmd, r.start, end, created, acc, pieces[j]);
      if (j + 1 < pieces.size()) merged.closed_ms = created;
      acc = merged.index;
    }
  }
  return plan;
}

SvcResult<meta::SetStreamModeCmd> PlanStreamMode(const ReshardContext& ctx, StreamMode target) {
  const StreamRecord& s = ctx.stream;
  if (s.status != StreamStatus::kActive) {
    return {Errc::kResourceInUse,
            fmt::format("Stream {} under account {} not ACTIVE, instead in state {}", s.name,
                        ctx.account_id, StreamStatusName(s.status))};
  }
  if (s.mode == target) {
    return {Errc::kInvalidArgument,
            fmt::format("Stream {} under account {} is already in {} mode.", s.name,
                        ctx.account_id, ModeName(target))};
  }
  std::vector<int64_t> history = Recent(s.mode_switches_ms, ctx.now_ms);
  if (history.size() >= kMaxModeSwitchesPerDay) {
    return {Errc::kLimitExceeded,
            fmt::format("Rate exceeded for stream {} under account {}: the capacity mode can be "
                        "switched at most {} times per rolling 24 hours.",
                        s.name, ctx.account_id, kMaxModeSwitchesPerDay)};
  }
  if (target == StreamMode::kProvisioned) {
    int64_t open = 0;
    for (const ShardRecord& shard : s.shards) open += shard.open() ? 1 : 0;
    SHOAL_RETURN_IF_ERROR(CheckShardQuota(ctx, open));
  }
  history.push_back(ctx.now_ms);
  meta::SetStreamModeCmd cmd;
  cmd.name = s.name;
  cmd.revision = s.revision;
  cmd.mode = target;
  cmd.status = ctx.update_delay_ms > 0 ? StreamStatus::kUpdating : StreamStatus::kActive;
  cmd.status_until_ms = ctx.update_delay_ms > 0 ? ctx.now_ms + ctx.update_delay_ms : 0;
  cmd.mode_switches_ms = std::move(history);
  return cmd;
}

}  // namespace shoal::service
