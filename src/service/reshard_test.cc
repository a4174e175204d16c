// The reshard planners on plain records: every validation rule and the commands they build.

#include "service/reshard.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "meta/tables.h"
#include "service/hash_ranges.h"
#include "service/stream_service.h"

namespace shoal::service {
namespace {

using meta::ReshardCmd;
using meta::ShardRecord;
using meta::StreamMode;
using meta::StreamRecord;
using meta::StreamStatus;

constexpr int64_t kNow = 1'700'000'000'000;

StreamRecord Stream(uint32_t shards, StreamMode mode = StreamMode::kProvisioned) {
  StreamRecord s;
  s.name = "s";
  s.revision = 3;
  s.status = StreamStatus::kActive;
  s.mode = mode;
  auto ranges = EvenHashRanges(shards);
  for (uint32_t i = 0; i < shards; ++i) {
    ShardRecord shard;
    shard.index = i;
    shard.starting_hash_key = ranges[i].start;
    shard.ending_hash_key = ranges[i].end;
    shard.created_ms = kNow - 60'000;
    s.shards.push_back(shard);
  }
  s.next_shard_index = shards;
  return s;
}

ShardRecord Shard(uint32_t index, uint128 start, uint128 end) {
  ShardRecord shard;
  shard.index = index;
  shard.starting_hash_key = start;
  shard.ending_hash_key = end;
  shard.created_ms = kNow - 60'000;
  return shard;
}

ReshardContext Ctx(const StreamRecord& s, int64_t now = kNow) {
  return ReshardContext{.stream = s,
                        .now_ms = now,
                        .account_id = "123456789012",
                        .region = "us-east-1",
                        .update_delay_ms = 500,
                        .shard_limit = 100,
                        .account_open_shards = 10};
}

// Applies `cmd` through the catalog's own rules, so a plan is also a valid command.
StreamRecord Applied(const StreamRecord& s, const meta::Command& cmd) {
  meta::CatalogTables tables;
  meta::Command create = meta::CreateStreamCmd{s};
  EXPECT_TRUE(tables.Validate(create).ok());
  tables.Apply(create);
  auto st = tables.Validate(cmd);
  EXPECT_TRUE(st.ok()) << st.message();
  if (st.ok()) tables.Apply(cmd);
  return *tables.Find(s.name);
}

// The open shards tile [0, 2^128-1] with no gap or overlap.
void ExpectOpenShardsTile(const StreamRecord& s) {
  std::map<uint128, uint128> open;
  for (const auto& shard : s.shards) {
    if (shard.open()) open[shard.starting_hash_key] = shard.ending_hash_key;
  }
  uint128 next = 0;
  bool done = false;
  for (const auto& [start, end] : open) {
    ASSERT_FALSE(done);
    ASSERT_EQ(start, next);
    if (end == kUint128Max) done = true;
    next = end + 1;
  }
  EXPECT_TRUE(done);
}

TEST(PlanSplitTest, ClosesTheParentAndOpensTwoChildrenLowerRangeFirst) {
  StreamRecord s = Stream(2);
  uint128 mid = uint128{1} << 126;
  auto cmd = PlanSplit(Ctx(s), "shardId-000000000000", FormatUint128(mid));
  ASSERT_TRUE(cmd.ok()) << cmd.message();
  EXPECT_EQ(cmd->closed, std::vector<uint32_t>{0});
  EXPECT_EQ(cmd->closed_ms, kNow);
  ASSERT_EQ(cmd->new_shards.size(), 2u);
  const ShardRecord& a = cmd->new_shards[0];
  const ShardRecord& b = cmd->new_shards[1];
  EXPECT_EQ(a.index, 2u);
  EXPECT_EQ(b.index, 3u);
  EXPECT_EQ(a.starting_hash_key, 0);
  EXPECT_EQ(a.ending_hash_key, mid - 1);
  EXPECT_EQ(b.starting_hash_key, mid);
  EXPECT_EQ(b.ending_hash_key, s.shards[0].ending_hash_key);
  EXPECT_EQ(a.parent, 0u);
  EXPECT_EQ(b.parent, 0u);
  EXPECT_FALSE(a.adjacent_parent);
  EXPECT_EQ(a.created_ms, kNow + 1000);
  EXPECT_EQ(cmd->next_shard_index, 4u);
  EXPECT_EQ(cmd->status, StreamStatus::kUpdating);
  EXPECT_EQ(cmd->status_until_ms, kNow + 500);
  StreamRecord after = Applied(s, *cmd);
  ExpectOpenShardsTile(after);
  EXPECT_EQ(after.shards[0].closed_ms, kNow);
}

// A shard made by a reshard less than a second ago is split again: the close waits for its
// creation time, so the grandchildren's creation second (the top of their sequence numbers)
// lies above the child's and their records sort after the child's.
TEST(PlanSplitTest, ResplittingAYoungChildClosesItAtItsCreationTime) {
  StreamRecord s = Stream(1);
  auto first = PlanSplit(Ctx(s), "shardId-000000000000", FormatUint128(uint128{1} << 127));
  ASSERT_TRUE(first.ok());
  StreamRecord after = Applied(s, *first);
  const int64_t child_created = after.shards[1].created_ms;
  ASSERT_EQ(child_created, kNow + 1000);
  after.status = StreamStatus::kActive;  // as with --update-delay-ms 0
  ReshardContext ctx = Ctx(after, kNow + 200);  // still before the child's creation time
  auto second = PlanSplit(ctx, "shardId-000000000001", FormatUint128(uint128{1} << 126));
  ASSERT_TRUE(second.ok()) << second.message();
  EXPECT_EQ(second->closed_ms, child_created);
  ASSERT_EQ(second->new_shards.size(), 2u);
  EXPECT_EQ(second->new_shards[0].created_ms, child_created + 1000);
  EXPECT_GT(second->new_shards[0].created_ms / 1000, child_created / 1000);
  ExpectOpenShardsTile(Applied(after, *second));
}

TEST(PlanSplitTest, NoUpdateDelayKeepsTheStreamActive) {
  StreamRecord s = Stream(1);
  ReshardContext ctx = Ctx(s);
  ctx.update_delay_ms = 0;
  auto cmd = PlanSplit(ctx, "0", "1000");
  ASSERT_TRUE(cmd.ok()) << cmd.message();
  EXPECT_EQ(cmd->status, StreamStatus::kActive);
  EXPECT_EQ(cmd->status_until_ms, 0);
}

TEST(PlanSplitTest, HashKeyMustLieStrictlyBetweenStartPlusOneAndEnd) {
  StreamRecord s = Stream(2);
  const ShardRecord& p = s.shards[1];  // [2^127, 2^128-1]
  auto split = [&](uint128 k) { return PlanSplit(Ctx(s), "shardId-000000000001", FormatUint128(k)); };
  EXPECT_TRUE(split(p.starting_hash_key + 2).ok());
  EXPECT_TRUE(split(p.ending_hash_key - 1).ok());
  for (uint128 bad : {p.starting_hash_key, p.starting_hash_key + 1, p.ending_hash_key,
                      uint128{5}}) {
    auto r = split(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), Errc::kInvalidArgument);
    EXPECT_EQ(r.message(),
              "NewStartingHashKey " + FormatUint128(bad) +
                  " used in SplitShard() on shard shardId-000000000001 in stream s under account "
                  "123456789012 is not both greater than one plus the shard's StartingHashKey "
                  "170141183460469231731687303715884105728 and less than the shard's "
                  "EndingHashKey 340282366920938463463374607431768211455.");
  }
  // 39 digits above 2^128-1 pass the model's pattern but are out of range.
  EXPECT_EQ(PlanSplit(Ctx(s), "1", "999999999999999999999999999999999999999").code(),
            Errc::kInvalidArgument);
}

TEST(PlanSplitTest, UnknownClosedAndUnparsableShards) {
  StreamRecord s = Stream(1);
  s.shards[0].closed_ms = kNow - 1;
  s.shards.push_back(Shard(1, 0, kUint128Max));
  s.next_shard_index = 2;
  auto r = PlanSplit(Ctx(s), "shardId-000000000007", "1000");
  EXPECT_EQ(r.code(), Errc::kResourceNotFound);
  EXPECT_EQ(r.message(),
            "Shard shardId-000000000007 in stream s under account 123456789012 does not exist");
  r = PlanSplit(Ctx(s), "ABKLFD8", "1000");
  EXPECT_EQ(r.code(), Errc::kResourceNotFound);
  EXPECT_EQ(r.message(), "Could not find shard ABKLFD8 in stream s under account 123456789012.");
  r = PlanSplit(Ctx(s), "shard-0", "1000");
  EXPECT_EQ(r.code(), Errc::kInvalidArgument);
  EXPECT_EQ(r.message(),
            "Shard shardId-000000000000 in stream s under account 123456789012 has already been "
            "merged or split, and thus is not eligible for merging or splitting.");
  EXPECT_TRUE(PlanSplit(Ctx(s), "foo-1", "1000").ok());
}

TEST(PlanSplitTest, NeedsAnActiveProvisionedStreamAndShardQuota) {
  StreamRecord s = Stream(1);
  for (StreamStatus st : {StreamStatus::kCreating, StreamStatus::kUpdating, StreamStatus::kDeleting}) {
    s.status = st;
    auto r = PlanSplit(Ctx(s), "0", "1000");
    EXPECT_EQ(r.code(), Errc::kResourceInUse);
    EXPECT_EQ(r.message(), std::string("Stream s under account 123456789012 not ACTIVE, instead "
                                       "in state ") + StreamStatusName(st));
  }
  s.status = StreamStatus::kActive;
  s.mode = StreamMode::kOnDemand;
  EXPECT_EQ(PlanSplit(Ctx(s), "0", "1000").code(), Errc::kValidation);
  EXPECT_EQ(PlanMerge(Ctx(s), "0", "1").code(), Errc::kValidation);
  EXPECT_EQ(PlanUniformScaling(Ctx(s), 2).code(), Errc::kValidation);
  s.mode = StreamMode::kProvisioned;
  ReshardContext full = Ctx(s);
  full.account_open_shards = full.shard_limit;
  auto r = PlanSplit(full, "0", "1000");
  EXPECT_EQ(r.code(), Errc::kLimitExceeded);
  EXPECT_EQ(r.message(),
            "This request would exceed the shard limit for the account 123456789012 in "
            "us-east-1. Current shard count for the account: 100. Limit: 100. Number of "
            "additional shards that would have resulted from this request: 1. Refer to the AWS "
            "Service Limits page "
            "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current "
            "limits and how to request higher limits.");
}

TEST(PlanMergeTest, MergesAnAdjacentPairInOrder) {
  StreamRecord s = Stream(3);
  auto cmd = PlanMerge(Ctx(s), "shardId-000000000001", "shardId-000000000002");
  ASSERT_TRUE(cmd.ok()) << cmd.message();
  EXPECT_EQ(cmd->closed, (std::vector<uint32_t>{1, 2}));
  ASSERT_EQ(cmd->new_shards.size(), 1u);
  const ShardRecord& c = cmd->new_shards[0];
  EXPECT_EQ(c.index, 3u);
  EXPECT_EQ(c.parent, 1u);
  EXPECT_EQ(c.adjacent_parent, 2u);
  EXPECT_EQ(c.starting_hash_key, s.shards[1].starting_hash_key);
  EXPECT_EQ(c.ending_hash_key, kUint128Max);
  EXPECT_EQ(c.created_ms, kNow + 1000);
  ExpectOpenShardsTile(Applied(s, *cmd));
}

TEST(PlanMergeTest, RejectsReversedNonAdjacentAndSameShard) {
  StreamRecord s = Stream(3);
  for (auto [a, b] : std::vector<std::pair<const char*, const char*>>{
           {"shardId-000000000001", "shardId-000000000000"},
           {"shardId-000000000000", "shardId-000000000002"},
           {"shardId-000000000001", "shardId-000000000001"},
           {"shardId-000000000002", "shardId-000000000000"}}) {
    auto r = PlanMerge(Ctx(s), a, b);
    ASSERT_FALSE(r.ok()) << a << " " << b;
    EXPECT_EQ(r.code(), Errc::kInvalidArgument);
    EXPECT_EQ(r.message(), std::string("Shards ") + a + " and " + b +
                               " in stream s under account 123456789012 are not an adjacent "
                               "pair of shards eligible for merging");
  }
  EXPECT_EQ(PlanMerge(Ctx(s), "shardId-000000000000", "shardId-000000000009").code(),
            Errc::kResourceNotFound);
  s.shards[1].closed_ms = kNow;
  EXPECT_EQ(PlanMerge(Ctx(s), "shardId-000000000000", "shardId-000000000001").code(),
            Errc::kInvalidArgument);
}

// Every hash key's old shard is an ancestor of its new shard, and no shard has more than
// two parents: what a reader that finishes parents before children needs.
void ExpectLineageCoversEveryKey(const StreamRecord& before, const StreamRecord& after) {
  std::map<uint32_t, const ShardRecord*> by_index;
  for (const auto& shard : after.shards) by_index[shard.index] = &shard;
  for (const auto& n : after.shards) {
    if (!n.open()) continue;
    // Sample keys: the range's ends and every old boundary inside it.
    std::vector<uint128> keys = {n.starting_hash_key, n.ending_hash_key};
    for (const auto& o : before.shards) {
      if (o.open() && o.starting_hash_key > n.starting_hash_key &&
          o.starting_hash_key <= n.ending_hash_key) {
        keys.push_back(o.starting_hash_key);
        keys.push_back(o.starting_hash_key - 1);
      }
    }
    for (uint128 k : keys) {
      // Walk up from n through the parent that holds k.
      const ShardRecord* cur = &n;
      bool found_old = false;
      for (int depth = 0; depth < 10000 && cur != nullptr; ++depth) {
        if (cur->index < before.next_shard_index) {
          found_old = true;
          break;
        }
        const ShardRecord* next = nullptr;
        for (auto p : {cur->parent, cur->adjacent_parent}) {
          if (!p) continue;
          const ShardRecord* ps = by_index[*p];
          if (ps->starting_hash_key <= k && k <= ps->ending_hash_key) next = ps;
        }
        cur = next;
      }
      ASSERT_TRUE(found_old) << "shard " << n.index << " key " << FormatUint128(k);
      EXPECT_TRUE(cur->starting_hash_key <= k && k <= cur->ending_hash_key);
    }
  }
}

TEST(PlanUniformScalingTest, ReachesTheEvenLayoutWithValidLineage) {
  for (auto [from, to] : std::vector<std::pair<uint32_t, int64_t>>{
           {1, 2}, {2, 4}, {4, 2}, {3, 5}, {5, 3}, {4, 7}, {7, 4}, {10, 13}, {10, 5}, {2, 2}}) {
    SCOPED_TRACE(std::to_string(from) + " -> " + std::to_string(to));
    StreamRecord s = Stream(from);
    auto plan = PlanUniformScaling(Ctx(s), to);
    ASSERT_TRUE(plan.ok()) << plan.message();
    EXPECT_EQ(plan->current_shard_count, from);
    EXPECT_EQ(plan->cmd.scaling_ops_ms, std::vector<int64_t>{kNow});
    StreamRecord after = Applied(s, plan->cmd);
    ExpectOpenShardsTile(after);
    auto even = EvenHashRanges(static_cast<uint32_t>(to));
    std::vector<HashRange> open;
    for (const auto& shard : after.shards) {
      if (shard.open()) open.push_back({shard.starting_hash_key, shard.ending_hash_key});
    }
    std::sort(open.begin(), open.end(),
              [](const HashRange& x, const HashRange& y) { return x.start < y.start; });
    ASSERT_EQ(open.size(), even.size());
    for (size_t i = 0; i < open.size(); ++i) {
      EXPECT_EQ(open[i].start, even[i].start);
      EXPECT_EQ(open[i].end, even[i].end);
    }
    ExpectLineageCoversEveryKey(s, after);
  }
}

TEST(PlanUniformScalingTest, KeepsOldShardsThatAlreadyFitTheLayout) {
  // Already even: nothing is closed or created (the call still counts and goes UPDATING).
  StreamRecord s = Stream(3);
  auto same = PlanUniformScaling(Ctx(s), 3);
  ASSERT_TRUE(same.ok()) << same.message();
  EXPECT_TRUE(same->cmd.closed.empty());
  EXPECT_TRUE(same->cmd.new_shards.empty());
  EXPECT_EQ(same->cmd.status, StreamStatus::kUpdating);
  EXPECT_EQ(same->cmd.scaling_ops_ms.size(), 1u);
  // 2 -> 4 -> 2 after a split of shard 0 at the middle: shard 1 ([2^127, max]) is kept when
  // going back to 2; only the two quarter shards are merged.
  StreamRecord two = Stream(2);
  auto split = PlanSplit(Ctx(two), "0", FormatUint128(uint128{1} << 126));
  ASSERT_TRUE(split.ok());
  StreamRecord three = Applied(two, *split);
  three.status = StreamStatus::kActive;
  auto back = PlanUniformScaling(Ctx(three), 2);
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(back->cmd.closed, (std::vector<uint32_t>{2, 3}));
  ASSERT_EQ(back->cmd.new_shards.size(), 1u);
  EXPECT_EQ(back->cmd.new_shards[0].parent, 2u);
  EXPECT_EQ(back->cmd.new_shards[0].adjacent_parent, 3u);
  ExpectOpenShardsTile(Applied(three, back->cmd));
}

TEST(PlanUniformScalingTest, UsesIntermediatesWhenARangeCoversThreeOldShards) {
  // Old layout: [0, 9], [10, 19], [20, 2^128-1]... scaled to 2 shards: the first new range
  // covers all three.
  StreamRecord s = Stream(1);
  s.shards[0].ending_hash_key = 9;
  s.shards.push_back(Shard(1, 10, 19));
  s.shards.push_back(Shard(2, 20, (uint128{1} << 127) + 5));
  s.shards.push_back(Shard(3, (uint128{1} << 127) + 6, kUint128Max));
  s.next_shard_index = 4;
  auto plan = PlanUniformScaling(Ctx(s), 2);
  ASSERT_TRUE(plan.ok()) << plan.message();
  StreamRecord after = Applied(s, plan->cmd);
  ExpectOpenShardsTile(after);
  ExpectLineageCoversEveryKey(s, after);
  int intermediates = 0;
  for (const auto& shard : plan->cmd.new_shards) {
    if (shard.closed_ms) {
      ++intermediates;
      EXPECT_EQ(*shard.closed_ms, shard.created_ms);
    }
  }
  // Three pieces of the first range and one chain step; the second range has two parents.
  EXPECT_EQ(intermediates, 4);
  // Every old shard is some new shard's parent (so its ChildShards is never empty).
  for (uint32_t old = 0; old < 4; ++old) {
    bool named = false;
    for (const auto& shard : plan->cmd.new_shards) {
      named |= shard.parent == old || shard.adjacent_parent == old;
    }
    EXPECT_TRUE(named) << old;
  }
}

TEST(PlanUniformScalingTest, Limits) {
  StreamRecord s = Stream(4);
  auto r = PlanUniformScaling(Ctx(s), 9);
  EXPECT_EQ(r.code(), Errc::kLimitExceeded);
  EXPECT_EQ(r.message(),
            "UpdateShardCount cannot scale up over double your current open shard count. "
            "Current open shard count: 4, Target shard count: 9");
  EXPECT_TRUE(PlanUniformScaling(Ctx(s), 8).ok());
  EXPECT_TRUE(PlanUniformScaling(Ctx(s), 2).ok());
  r = PlanUniformScaling(Ctx(s), 1);
  EXPECT_EQ(r.code(), Errc::kLimitExceeded);
  EXPECT_EQ(r.message(),
            "UpdateShardCount cannot scale down below half your current open shard count. "
            "Current open shard count: 4, Target shard count: 1");
  StreamRecord three = Stream(3);
  EXPECT_EQ(PlanUniformScaling(Ctx(three), 1).code(), Errc::kLimitExceeded);
  EXPECT_TRUE(PlanUniformScaling(Ctx(three), 2).ok());
  r = PlanUniformScaling(Ctx(s), 10'001);
  EXPECT_EQ(r.code(), Errc::kLimitExceeded);
  EXPECT_NE(r.message().find("cannot be greater than 10000"), std::string::npos);
  ReshardContext full = Ctx(s);
  full.account_open_shards = 99;
  EXPECT_EQ(PlanUniformScaling(full, 6).code(), Errc::kLimitExceeded);
  EXPECT_TRUE(PlanUniformScaling(full, 3).ok());
}

TEST(PlanUniformScalingTest, AtMostTenPerRollingDay) {
  StreamRecord s = Stream(2);
  for (int i = 0; i < 10; ++i) s.scaling_ops_ms.push_back(kNow - 23 * 3'600'000 - 1'800'000 + i);
  auto r = PlanUniformScaling(Ctx(s), 3);
  EXPECT_EQ(r.code(), Errc::kLimitExceeded);
  // One hour later the oldest have left the window; the history keeps only recent entries.
  auto later = PlanUniformScaling(Ctx(s, kNow + 3'600'000), 3);
  ASSERT_TRUE(later.ok()) << later.message();
  EXPECT_EQ(later->cmd.scaling_ops_ms, std::vector<int64_t>{kNow + 3'600'000});
  // Split and merge do not count and keep the history as it is.
  auto split = PlanSplit(Ctx(s), "0", "1000");
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(split->scaling_ops_ms, s.scaling_ops_ms);
}

TEST(PlanOnDemandScalingTest, OnDemandOnlyWithoutQuotaOrDailyLimit) {
  StreamRecord s = Stream(4);
  ReshardContext ctx = Ctx(s);
  ctx.on_demand_scaling = true;
  // The autoscaler only touches on-demand streams.
  EXPECT_EQ(PlanUniformScaling(ctx, 8).code(), Errc::kValidation);
  EXPECT_EQ(PlanSplit(ctx, "0", "1000").code(), Errc::kValidation);
  s.mode = StreamMode::kOnDemand;
  for (int i = 0; i < 10; ++i) s.scaling_ops_ms.push_back(kNow - 1000 + i);
  ReshardContext od = Ctx(s);
  od.on_demand_scaling = true;
  od.account_open_shards = od.shard_limit;  // the provisioned quota is used up
  auto up = PlanUniformScaling(od, 8);
  ASSERT_TRUE(up.ok()) << up.message();
  EXPECT_EQ(up->cmd.scaling_ops_ms, s.scaling_ops_ms) << "not counted in the daily limit";
  StreamRecord after = Applied(s, up->cmd);
  ExpectOpenShardsTile(after);
  EXPECT_EQ(after.status, StreamStatus::kUpdating);
  EXPECT_TRUE(PlanSplit(od, "0", "1000").ok());
  EXPECT_TRUE(PlanMerge(od, "0", "1").ok());
  // The shape rules still hold: at most double, at least half, ACTIVE only.
  EXPECT_EQ(PlanUniformScaling(od, 9).code(), Errc::kLimitExceeded);
  EXPECT_EQ(PlanUniformScaling(od, 1).code(), Errc::kLimitExceeded);
  s.status = StreamStatus::kUpdating;
  ReshardContext busy = Ctx(s);
  busy.on_demand_scaling = true;
  EXPECT_EQ(PlanUniformScaling(busy, 8).code(), Errc::kResourceInUse);
}

TEST(PlanStreamModeTest, SwitchesAtMostTwicePerRollingDay) {
  StreamRecord s = Stream(2);
  auto first = PlanStreamMode(Ctx(s), StreamMode::kOnDemand);
  ASSERT_TRUE(first.ok()) << first.message();
  EXPECT_EQ(first->mode, StreamMode::kOnDemand);
  EXPECT_EQ(first->status, StreamStatus::kUpdating);
  EXPECT_EQ(first->status_until_ms, kNow + 500);
  s = Applied(s, *first);
  EXPECT_EQ(s.shards.size(), 2u);  // shards are kept
  EXPECT_EQ(PlanStreamMode(Ctx(s, kNow + 100), StreamMode::kProvisioned).code(),
            Errc::kResourceInUse);
  s.status = StreamStatus::kActive;
  EXPECT_EQ(PlanStreamMode(Ctx(s), StreamMode::kOnDemand).code(), Errc::kInvalidArgument);
  auto second = PlanStreamMode(Ctx(s, kNow + 1000), StreamMode::kProvisioned);
  ASSERT_TRUE(second.ok());
  s = Applied(s, *second);
  s.status = StreamStatus::kActive;
  EXPECT_EQ(PlanStreamMode(Ctx(s, kNow + 2000), StreamMode::kOnDemand).code(),
            Errc::kLimitExceeded);
  auto next_day = PlanStreamMode(Ctx(s, kNow + kRollingWindowMs + 1), StreamMode::kOnDemand);
  ASSERT_TRUE(next_day.ok());
  EXPECT_EQ(next_day->mode_switches_ms, (std::vector<int64_t>{kNow + 1000, kNow + kRollingWindowMs + 1}));
}

}  // namespace
}  // namespace shoal::service
