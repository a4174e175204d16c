// Resharding through StreamService and DataPlane with the real storage engine on an in-memory
// file system and a fake clock: states, listings, ChildShards at the end of closed shards,
// readers that follow lineage, and durability across a reopen.

#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <map>
#include <set>

#include "service/data_plane.h"
#include "service/hash_ranges.h"
#include "service/service_test_util.h"

namespace shoal::service {
namespace {

using meta::StreamMode;
using meta::StreamStatus;

// Forwards to a real engine, except that appends can be held back: a PutRecords that took
// its snapshot before a reshard then reaches the engine after the reshard committed.
class HoldingEngine final : public storage::LogEngine {
 public:
  explicit HoldingEngine(storage::LogEngine& base) : base_(base) {}
  void Hold() { holding_ = true; }
  size_t held() const { return held_.size(); }
  void Release() {
    holding_ = false;
    for (auto& [req, done] : held_) base_.Append(std::move(req), std::move(done));
    held_.clear();
  }
  void Append(storage::AppendRequest r, storage::AppendCallback done) override {
    if (holding_) {
      held_.emplace_back(std::move(r), std::move(done));
      return;
    }
    base_.Append(std::move(r), std::move(done));
  }
  storage::StorageResult<storage::ReadResult> Read(storage::ShardKey s, uint64_t from, size_t n,
                                                   size_t bytes) override {
    return base_.Read(s, from, n, bytes);
  }
  storage::StorageResult<uint64_t> SeekTime(storage::ShardKey s, int64_t at) override {
    return base_.SeekTime(s, at);
  }
  storage::StorageResult<storage::ShardPositions> Positions(storage::ShardKey s) override {
    return base_.Positions(s);
  }
  storage::StorageStatus Trim(storage::ShardKey s, int64_t cutoff) override {
    return base_.Trim(s, cutoff);
  }
  storage::StorageStatus DropStream(uint64_t rev) override { return base_.DropStream(rev); }
  void Seal(storage::ShardKey s, std::function<void()> done) override {
    base_.Seal(s, std::move(done));
  }
  void SetDurableListener(std::function<void(storage::ShardKey)> l) override {
    base_.SetDurableListener(std::move(l));
  }
  void Stop() override { base_.Stop(); }

 private:
  storage::LogEngine& base_;
  bool holding_ = false;  // the test's thread only
  std::vector<std::pair<storage::AppendRequest, storage::AppendCallback>> held_;
};

class ReshardServiceTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    options_.update_delay_ms = 500;
    Open();
  }

  void CreateStream(int64_t shards) { ServiceFixture::CreateStream("s", shards); }

  StreamRef Ref() { return StreamRef{"s", std::nullopt}; }

  StreamStatus Status() {
    auto d = streams_->DescribeStreamSummary(Ref());
    EXPECT_TRUE(d.ok());
    return d->stream.status;
  }

  // Writes one record per key (data = key + "#" + n), checking success.
  void PutKeys(const std::vector<std::string>& keys, int n) {
    std::vector<std::string> payloads;
    for (const auto& k : keys) payloads.push_back(k + "#" + std::to_string(n));
    PutRecordsRequest r;
    r.stream = Ref();
    for (size_t i = 0; i < keys.size(); ++i) r.entries.push_back({keys[i], payloads[i], std::nullopt});
    auto res = Put(std::move(r));
    ASSERT_TRUE(res.ok()) << res.message();
    ASSERT_EQ(res->failed_count, 0);
  }

  std::vector<ShardInfo> ListShards(ShardFilter filter) {
    ListShardsRequest r;
    r.stream = Ref();
    r.shard_filter = filter;
    auto res = streams_->ListShards(r);
    EXPECT_TRUE(res.ok()) << res.message();
    return res.ok() ? res->shards : std::vector<ShardInfo>{};
  }
  std::vector<std::string> Ids(const std::vector<ShardInfo>& shards) {
    std::vector<std::string> out;
    for (const auto& s : shards) out.push_back(s.shard_id.substr(s.shard_id.size() - 1));
    return out;
  }

  // Reads a shard from TRIM_HORIZON to its end (a closed shard) or to the tip (an open one);
  // returns the data and the ChildShards of the end.
  std::vector<std::string> ReadShard(const std::string& shard,
                                     std::vector<ChildShardInfo>* children = nullptr,
                                     bool* ended = nullptr) {
    auto it = data_->GetShardIterator({Ref(), shard, IteratorType::kTrimHorizon, {}, {}});
    EXPECT_TRUE(it.ok()) << it.message();
    std::optional<std::string> iterator = *it;
    std::vector<std::string> out;
    for (int i = 0; i < 100 && iterator; ++i) {
      auto res = data_->GetRecords({*iterator, 2, std::nullopt});
      EXPECT_TRUE(res.ok()) << res.message();
      if (!res.ok()) break;
      for (const auto& r : res->records) out.emplace_back(r.data);
      // KCL's validity rule: a null iterator comes with children, and only then.
      EXPECT_EQ(res->next_shard_iterator.has_value(), res->child_shards.empty());
      if (!res->next_shard_iterator) {
        if (children) *children = res->child_shards;
        if (ended) *ended = true;
        return out;
      }
      if (res->records.empty()) break;  // caught up on an open shard
      iterator = res->next_shard_iterator;
    }
    if (ended) *ended = false;
    return out;
  }

  // Reads the whole stream the way KCL does: a shard only after all its parents ended.
  std::map<std::string, std::vector<std::string>> ReadByLineage() {
    auto all = ListShards({ShardFilterType::kFromTrimHorizon, {}, {}});
    std::map<std::string, ShardInfo> by_id;
    for (const auto& s : all) by_id[s.shard_id] = s;
    std::set<std::string> done;
    std::map<std::string, std::vector<std::string>> per_key;
    bool progress = true;
    while (progress) {
      progress = false;
      for (const auto& [id, s] : by_id) {
        if (done.contains(id)) continue;
        bool ready = (!s.parent_shard_id || done.contains(*s.parent_shard_id) ||
                      !by_id.contains(*s.parent_shard_id)) &&
                     (!s.adjacent_parent_shard_id || done.contains(*s.adjacent_parent_shard_id) ||
                      !by_id.contains(*s.adjacent_parent_shard_id));
        if (!ready) continue;
        for (const auto& d : ReadShard(id)) per_key[d.substr(0, d.find('#'))].push_back(d);
        done.insert(id);
        progress = true;
      }
    }
    EXPECT_EQ(done.size(), by_id.size());
    return per_key;
  }
};

const std::vector<std::string> kKeys = {"a", "b", "c", "d", "e", "f", "g", "h", "123", "xyz"};

TEST_F(ReshardServiceTest, SplitClosesTheParentAndReadersFollowChildShards) {
  CreateStream(1);
  PutKeys(kKeys, 0);
  uint128 mid = uint128{1} << 127;
  ASSERT_TRUE(streams_->SplitShard({Ref(), "shardId-000000000000", FormatUint128(mid)}).ok());
  EXPECT_EQ(Status(), StreamStatus::kUpdating);
  // Control-plane changes wait for ACTIVE; writes and reads go on.
  auto busy = streams_->SplitShard({Ref(), "shardId-000000000001", FormatUint128(mid + 10)});
  EXPECT_EQ(busy.code(), Errc::kResourceInUse);
  EXPECT_EQ(busy.message(), "Stream s under account 000000000000 not ACTIVE, instead in state "
                            "UPDATING");
  PutKeys(kKeys, 1);
  clock_.AdvanceMs(500);
  EXPECT_EQ(Status(), StreamStatus::kActive);
  PutKeys(kKeys, 2);

  auto described = streams_->DescribeStream({Ref(), std::nullopt, std::nullopt});
  ASSERT_TRUE(described.ok());
  ASSERT_EQ(described->shards.size(), 3u);
  const ShardInfo& parent = described->shards[0];
  ASSERT_TRUE(parent.ending_sequence_number);
  EXPECT_EQ(described->shards[1].parent_shard_id, "shardId-000000000000");
  EXPECT_EQ(described->shards[2].parent_shard_id, "shardId-000000000000");
  EXPECT_FALSE(described->shards[1].adjacent_parent_shard_id);
  EXPECT_EQ(described->shards[1].ending_hash_key, mid - 1);
  EXPECT_EQ(described->shards[2].starting_hash_key, mid);
  // Children start above the parent's end (created one second after the close).
  ASSERT_EQ(described->shards[1].starting_sequence_number.size(),
            parent.ending_sequence_number->size());
  EXPECT_GT(described->shards[1].starting_sequence_number, *parent.ending_sequence_number)
      << "same length decimal strings compare numerically";

  std::vector<ChildShardInfo> children;
  bool ended = false;
  auto parent_data = ReadShard("shardId-000000000000", &children, &ended);
  EXPECT_TRUE(ended);
  EXPECT_EQ(parent_data.size(), kKeys.size());
  ASSERT_EQ(children.size(), 2u);
  EXPECT_EQ(children[0].shard_id, "shardId-000000000001");
  EXPECT_EQ(children[0].parent_shards, std::vector<std::string>{"shardId-000000000000"});
  EXPECT_EQ(children[1].starting_hash_key, mid);

  auto per_key = ReadByLineage();
  for (const auto& k : kKeys) {
    EXPECT_EQ(per_key[k], (std::vector<std::string>{k + "#0", k + "#1", k + "#2"})) << k;
  }
}

TEST_F(ReshardServiceTest, AClosedShardThatNeverTookARecordEndsAtOnce) {
  options_.update_delay_ms = 0;
  Close();
  Open();
  CreateStream(1);
  // No write before the split: the parent has no log at all.
  ASSERT_TRUE(streams_->SplitShard({Ref(), "shardId-000000000000",
                                    FormatUint128(uint128{1} << 127)}).ok());
  for (auto type : {IteratorType::kTrimHorizon, IteratorType::kLatest}) {
    auto it = data_->GetShardIterator({Ref(), "shardId-000000000000", type, {}, {}});
    ASSERT_TRUE(it.ok()) << it.message();
    auto res = data_->GetRecords({*it, std::nullopt, std::nullopt});
    ASSERT_TRUE(res.ok()) << res.message();
    EXPECT_TRUE(res->records.empty());
    EXPECT_FALSE(res->next_shard_iterator) << "a reader would poll the empty parent forever";
    EXPECT_EQ(res->child_shards.size(), 2u);
  }
}

TEST_F(ReshardServiceTest, MergeChildNamesBothParentsInChildShards) {
  options_.update_delay_ms = 0;
  Close();
  Open();
  CreateStream(3);
  PutKeys(kKeys, 0);
  auto bad = streams_->MergeShards({Ref(), "shardId-000000000002", "shardId-000000000001"});
  EXPECT_EQ(bad.code(), Errc::kInvalidArgument);
  ASSERT_TRUE(streams_->MergeShards({Ref(), "shardId-000000000001", "shardId-000000000002"}).ok());
  EXPECT_EQ(Status(), StreamStatus::kActive);
  PutKeys(kKeys, 1);
  for (const char* p : {"shardId-000000000001", "shardId-000000000002"}) {
    std::vector<ChildShardInfo> children;
    bool ended = false;
    ReadShard(p, &children, &ended);
    ASSERT_TRUE(ended) << p;
    ASSERT_EQ(children.size(), 1u) << p;
    EXPECT_EQ(children[0].shard_id, "shardId-000000000003");
    EXPECT_EQ(children[0].parent_shards,
              (std::vector<std::string>{"shardId-000000000001", "shardId-000000000002"}));
  }
  auto per_key = ReadByLineage();
  for (const auto& k : kKeys) {
    EXPECT_EQ(per_key[k], (std::vector<std::string>{k + "#0", k + "#1"})) << k;
  }
}

TEST_F(ReshardServiceTest, ListShardsFiltersReturnTheRightGenerations) {
  CreateStream(1);
  clock_.AdvanceMs(10'000);
  int64_t split_at = clock_.NowMs();
  ASSERT_TRUE(streams_->SplitShard({Ref(), "0", "1000"}).ok());
  clock_.AdvanceMs(200);  // inside the second between the close and the children's creation
  using F = ShardFilterType;
  using V = std::vector<std::string>;
  EXPECT_EQ(Ids(ListShards({F::kFromTrimHorizon, {}, {}})), (V{"0", "1", "2"}));
  EXPECT_EQ(Ids(ListShards({F::kAtTrimHorizon, {}, {}})), (V{"0"}));
  EXPECT_EQ(Ids(ListShards({F::kAtLatest, {}, {}})), (V{"1", "2"}));
  EXPECT_EQ(Ids(ListShards({F::kAfterShardId, "shardId-000000000000", {}})), (V{"1", "2"}));
  EXPECT_EQ(Ids(ListShards({F::kAtTimestamp, {}, split_at - 1})), (V{"0"}));
  EXPECT_EQ(Ids(ListShards({F::kAtTimestamp, {}, split_at})), (V{"1", "2"}));
  EXPECT_EQ(Ids(ListShards({F::kAtTimestamp, {}, split_at + 100})), (V{"1", "2"}));
  EXPECT_EQ(Ids(ListShards({F::kFromTimestamp, {}, split_at - 1})), (V{"0", "1", "2"}));
  EXPECT_EQ(Ids(ListShards({F::kFromTimestamp, {}, split_at + 100})), (V{"1", "2"}));
  // The closed parent disappears once everything it could hold has expired.
  clock_.AdvanceMs(24 * 3'600'000);
  EXPECT_EQ(Ids(ListShards({F::kFromTrimHorizon, {}, {}})), (V{"1", "2"}));
}

TEST_F(ReshardServiceTest, UpdateShardCountKeepsEveryRecordInOrderPerKey) {
  options_.update_delay_ms = 0;
  Close();
  Open();
  CreateStream(3);
  std::vector<std::string> keys;
  for (int i = 0; i < 60; ++i) keys.push_back("key" + std::to_string(i));
  PutKeys(keys, 0);
  auto up = streams_->UpdateShardCount({Ref(), 5});
  ASSERT_TRUE(up.ok()) << up.message();
  EXPECT_EQ(up->current_shard_count, 3);
  EXPECT_EQ(up->target_shard_count, 5);
  EXPECT_EQ(up->stream_arn, "arn:aws:kinesis:us-east-1:000000000000:stream/s");
  PutKeys(keys, 1);
  auto down = streams_->UpdateShardCount({Ref(), 3});
  ASSERT_TRUE(down.ok()) << down.message();
  EXPECT_EQ(down->current_shard_count, 5);
  PutKeys(keys, 2);
  auto open = ListShards({ShardFilterType::kAtLatest, {}, {}});
  auto even = EvenHashRanges(3);
  ASSERT_EQ(open.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(open[i].starting_hash_key, even[i].start);
    EXPECT_EQ(open[i].ending_hash_key, even[i].end);
  }
  auto per_key = ReadByLineage();
  for (const auto& k : keys) {
    EXPECT_EQ(per_key[k], (std::vector<std::string>{k + "#0", k + "#1", k + "#2"})) << k;
  }
  EXPECT_EQ(streams_->UpdateShardCount({Ref(), 7}).code(), Errc::kLimitExceeded);
}

// The race a reshard has with writers: a PutRecords routed with the snapshot from before the
// split reaches the log after the parent was sealed. Its entries go to the children instead,
// so a reader that finished the parent still sees every acknowledged record.
TEST_F(ReshardServiceTest, AppendsRacingWithASplitAreReroutedToTheChildren) {
  CreateStream(1);
  PutKeys(kKeys, 0);
  HoldingEngine holding(*engine_);
  data_ = std::make_unique<DataPlane>(*streams_, holding, clock_, DataPlaneOptions{});
  holding.Hold();
  PutRecordsRequest r;
  r.stream = Ref();
  std::vector<std::string> payloads;
  for (const auto& k : kKeys) payloads.push_back(k + "#1");
  for (size_t i = 0; i < kKeys.size(); ++i) r.entries.push_back({kKeys[i], payloads[i], std::nullopt});
  std::promise<SvcResult<PutRecordsResult>> put;
  data_->PutRecords(std::move(r), [&put](SvcResult<PutRecordsResult> res) {
    put.set_value(std::move(res));
  });
  ASSERT_EQ(holding.held(), 1u);  // routed to shard 0 with the old snapshot
  uint128 mid = uint128{1} << 127;
  ASSERT_TRUE(streams_->SplitShard({Ref(), "shardId-000000000000", FormatUint128(mid)}).ok());
  std::vector<ChildShardInfo> children;
  bool ended = false;
  EXPECT_EQ(ReadShard("shardId-000000000000", &children, &ended).size(), kKeys.size());
  EXPECT_TRUE(ended);
  holding.Release();
  auto res = put.get_future().get();
  ASSERT_TRUE(res.ok()) << res.message();
  EXPECT_EQ(res->failed_count, 0);
  for (const auto& e : res->entries) {
    EXPECT_NE(e.shard_id, "shardId-000000000000");
    EXPECT_FALSE(e.sequence_number.empty());
  }
  auto per_key = ReadByLineage();
  for (const auto& k : kKeys) {
    EXPECT_EQ(per_key[k], (std::vector<std::string>{k + "#0", k + "#1"})) << k;
  }
}

TEST_F(ReshardServiceTest, ReshardsSurviveAReopen) {
  CreateStream(2);
  PutKeys(kKeys, 0);
  ASSERT_TRUE(streams_->MergeShards({Ref(), "0", "1"}).ok());
  clock_.AdvanceMs(500);
  ASSERT_TRUE(streams_->UpdateShardCount({Ref(), 2}).ok());
  auto before = streams_->DescribeStream({Ref(), std::nullopt, std::nullopt});
  ASSERT_TRUE(before.ok());
  Close();
  Open();
  auto after = streams_->DescribeStream({Ref(), std::nullopt, std::nullopt});
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->shards.size(), before->shards.size());
  for (size_t i = 0; i < after->shards.size(); ++i) {
    EXPECT_EQ(after->shards[i].shard_id, before->shards[i].shard_id);
    EXPECT_EQ(after->shards[i].ending_sequence_number, before->shards[i].ending_sequence_number);
  }
  auto per_key = ReadByLineage();
  for (const auto& k : kKeys) EXPECT_EQ(per_key[k], std::vector<std::string>{k + "#0"}) << k;
  // The scaling history survived too: nine more operations reach the daily limit.
  options_.update_delay_ms = 0;
  Close();
  Open();
  clock_.AdvanceMs(500);
  for (int i = 0; i < 9; ++i) {
    ASSERT_TRUE(streams_->UpdateShardCount({Ref(), i % 2 ? 2 : 3}).ok()) << i;
  }
  EXPECT_EQ(streams_->UpdateShardCount({Ref(), 2}).code(), Errc::kLimitExceeded);
}

TEST_F(ReshardServiceTest, UpdateStreamModeByArn) {
  CreateStream(2);
  std::string arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
  ASSERT_TRUE(streams_->UpdateStreamMode({arn, StreamMode::kOnDemand, std::nullopt}).ok());
  EXPECT_EQ(Status(), StreamStatus::kUpdating);
  EXPECT_EQ(streams_->UpdateStreamMode({arn, StreamMode::kProvisioned, std::nullopt}).code(),
            Errc::kResourceInUse);
  clock_.AdvanceMs(500);
  auto d = streams_->DescribeStreamSummary(Ref());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->stream.status, StreamStatus::kActive);
  EXPECT_EQ(d->stream.mode, StreamMode::kOnDemand);
  EXPECT_EQ(d->open_shard_count, 2);
  EXPECT_EQ(streams_->SplitShard({Ref(), "0", "1000"}).code(), Errc::kValidation);
  ASSERT_TRUE(streams_->UpdateStreamMode({arn, StreamMode::kProvisioned, std::nullopt}).ok());
  clock_.AdvanceMs(500);
  EXPECT_EQ(streams_->UpdateStreamMode({arn, StreamMode::kOnDemand, std::nullopt}).code(),
            Errc::kLimitExceeded);
  EXPECT_EQ(streams_->UpdateStreamMode({arn + "x", StreamMode::kOnDemand, std::nullopt}).code(),
            Errc::kResourceNotFound);
}

}  // namespace
}  // namespace shoal::service

namespace shoal::service {
namespace {

// The machine crashes at every file-system operation of a SplitShard / MergeShards /
// UpdateShardCount: after restart the stream is before or after the whole reshard (never a
// parent closed without its children), its records are all readable, and it reshards again.
TEST(ReshardCrashTest, EveryKillPointRecoversToAConsistentStream) {
  struct Step {
    const char* name;
    std::function<SvcStatus(StreamService&)> run;
  };
  StreamRef ref{"s", std::nullopt};
  std::vector<Step> steps = {
      {"split", [&](StreamService& s) { return s.SplitShard({ref, "0", "1000"}); }},
      {"merge", [&](StreamService& s) { return s.MergeShards({ref, "0", "1"}); }},
      {"update",
       [&](StreamService& s) {
         auto r = s.UpdateShardCount({ref, 3});
         return r.ok() ? SvcStatus() : r.status();
       }},
  };
  for (const Step& step : steps) {
    int befores = 0;
    int afters = 0;
    for (uint64_t k = 0;; ++k) {
      SCOPED_TRACE(std::string(step.name) + " kill point " + std::to_string(k));
      MemFileSystem fs;
      FakeClock clock;
      ServiceOptions options;
      options.token_key = "k";
      options.create_delay_ms = 0;
      options.update_delay_ms = 0;
      bool reached_the_end = false;
      SvcStatus status;
      {
        auto opened = meta::Catalog::Open(fs, "/data");
        ASSERT_TRUE(opened.ok());
        StreamService streams(**opened, clock, options);
        CreateStreamRequest create;
        create.name = "s";
        create.shard_count = 2;
        ASSERT_TRUE(streams.CreateStream(create).ok());
        fs.FreezeAfterOps(k);
        status = step.run(streams);
        reached_the_end = !fs.frozen();
      }
      fs.SimulateCrash({.keep_unsynced_data = (k % 2) == 1});
      auto catalog = meta::Catalog::Open(fs, "/data");
      ASSERT_TRUE(catalog.ok()) << catalog.message();
      StreamService streams(**catalog, clock, options);
      auto d = streams.DescribeStream({ref, std::nullopt, std::nullopt});
      ASSERT_TRUE(d.ok());
      size_t total = d->shards.size();
      if (status.ok()) {
        EXPECT_GT(total, 2u) << "an acknowledged reshard was lost";
      }
      // Before: the two original shards, both open. After: every original shard closed.
      bool before = total == 2;
      (before ? befores : afters) += 1;
      std::map<uint128, uint128> open;
      for (const auto& shard : d->shards) {
        bool original = shard.shard_id <= "shardId-000000000001";
        if (!shard.ending_sequence_number) open[shard.starting_hash_key] = shard.ending_hash_key;
        if (original && before) {
          EXPECT_FALSE(shard.ending_sequence_number) << shard.shard_id;
        }
      }
      uint128 next = 0;
      for (const auto& [start, end] : open) {
        ASSERT_EQ(start, next);
        next = end + 1;
      }
      EXPECT_EQ(open.rbegin()->second, kUint128Max);
      clock.AdvanceMs(1000);
      auto again = streams.UpdateShardCount({ref, static_cast<int64_t>(open.size()) + 1});
      EXPECT_TRUE(again.ok()) << again.status().message();
      if (reached_the_end) break;
    }
    EXPECT_GE(befores, 1) << step.name;  // kill points before the command was durable
    EXPECT_GE(afters, 2) << step.name;   // after it (and the run without a crash)
  }
}

}  // namespace
}  // namespace shoal::service
