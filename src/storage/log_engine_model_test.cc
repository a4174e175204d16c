// Model-based random test (style A19): the engine against a std::map of every acknowledged
// record, over random appends (some concurrent, some with counter jumps), reads with random
// limits, tiny segments (512 bytes) and index intervals, retention passes, torn writes,
// crashes and reopens. Plus the engine on the real file system.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <random>

#include "common/clock.h"
#include "common/mem_fs.h"
#include "storage/batch_format.h"
#include "storage/engine_test_util.h"
#include "storage/log_engine.h"

namespace shoal::storage {
namespace {

using testing::AppendWait;
using testing::ReadAllFrom;
using testing::Rec;

struct ModelRec {
  Rec rec;
  int64_t arrival_ms;
};

class ModelTest : public ::testing::TestWithParam<uint32_t> {
 protected:
  void Open() {
    auto e = OpenLogEngine(fs_, clock_, options_);
    ASSERT_TRUE(e.ok()) << e.message();
    engine_ = std::move(e).value();
  }
  void Crash(bool keep_unsynced) {
    fs_.SimulateCrash({.keep_unsynced_data = keep_unsynced});
    engine_->Stop();
    engine_.reset();
    fs_.SimulateCrash({.keep_unsynced_data = keep_unsynced});
    Open();
  }

  // Everything the engine serves for `shard` is exactly the model from its first counter on,
  // and no record newer than the retention cutoffs applied so far has gone.
  void CheckShard(ShardKey shard) {
    const auto& model = model_[shard];
    auto pos = engine_->Positions(shard);
    ASSERT_TRUE(pos.ok());
    uint64_t next = model.empty() ? 1 : model.rbegin()->first + 1;
    EXPECT_GE(pos->durable_next, next);
    auto all = ReadAllFrom(*engine_, shard, 0, 1 + rng_() % 50);
    auto it = model.lower_bound(pos->first_counter);
    for (const auto& got : all) {
      ASSERT_NE(it, model.end()) << "extra record " << got.counter;
      ASSERT_EQ(got.counter, it->first);
      ASSERT_EQ(got.rec, it->second.rec);
      ASSERT_EQ(got.arrival_ms, it->second.arrival_ms);
      ++it;
    }
    ASSERT_EQ(it, model.end()) << "missing records from " << it->first;
    int64_t cutoff = cutoff_[shard];
    for (const auto& [counter, m] : model) {
      if (m.arrival_ms >= cutoff) {
        EXPECT_LE(pos->first_counter, counter) << "an unexpired record was trimmed";
        break;
      }
    }
  }

  void RandomRead(ShardKey shard) {
    const auto& model = model_[shard];
    uint64_t first = engine_->Positions(shard)->first_counter;
    uint64_t from = rng_() % (model.empty() ? 3 : model.rbegin()->first + 3);
    size_t max_records = 1 + rng_() % 20;
    size_t max_bytes = rng_() % 300;
    auto r = engine_->Read(shard, from, max_records, max_bytes);
    ASSERT_TRUE(r.ok()) << r.message();
    auto it = model.lower_bound(std::max(from, first));
    size_t bytes = 0;
    for (const StoredRecord& s : r->records) {
      ASSERT_NE(it, model.end());
      ASSERT_EQ(s.counter, it->first);
      ASSERT_EQ(s.data, it->second.rec.data);
      ASSERT_EQ(s.partition_key, it->second.rec.key);
      bytes += s.partition_key.size() + s.data.size();
      ++it;
    }
    ASSERT_LE(r->records.size(), max_records);
    if (r->records.size() > 1) {
      ASSERT_LE(bytes, max_bytes);
    }
    if (r->records.empty()) {
      ASSERT_EQ(it, model.end()) << "nothing returned but records exist";
    }
    // Stopped for a reason: a limit, or the end.
    if (it != model.end() && r->records.size() < max_records) {
      ASSERT_GT(bytes + it->second.rec.key.size() + it->second.rec.data.size(), max_bytes);
    }
  }

  std::vector<Rec> RandomRecords() {
    std::vector<Rec> recs(1 + rng_() % 4);
    for (Rec& r : recs) {
      r.key = "k" + std::to_string(rng_() % 1000);
      r.data = std::string(rng_() % 120, static_cast<char>('a' + rng_() % 26));
    }
    return recs;
  }

  void Record(ShardKey shard, const std::vector<Rec>& recs, const AppendResult& r) {
    for (size_t i = 0; i < recs.size(); ++i) model_[shard][r.first_counter + i] = {recs[i], r.arrival_ms};
  }

  MemFileSystem fs_;
  FakeClock clock_;
  EngineOptions options_{.dir = "/model",
                         .durability = Durability::kSync,
                         .segment_bytes = 512,
                         .max_group_bytes = 700,
                         .index_interval_bytes = 150,
                         .max_open_files = 3};
  std::unique_ptr<LogEngine> engine_;
  std::mt19937 rng_;
  std::map<ShardKey, std::map<uint64_t, ModelRec>> model_;
  std::map<ShardKey, int64_t> cutoff_;
};

TEST_P(ModelTest, EngineMatchesAMapThroughAppendsReadsRetentionAndCrashes) {
  rng_.seed(GetParam());
  Open();
  const std::vector<ShardKey> shards = {{1, 0}, {1, 1}, {2, 0}, {3, 7}};
  for (int step = 0; step < 1500; ++step) {
    ShardKey shard = shards[rng_() % shards.size()];
    uint32_t op = rng_() % 100;
    if (op < 45) {  // append, sometimes with a counter jump
      auto recs = RandomRecords();
      uint64_t min_counter = 0;
      if (rng_() % 10 == 0 && !model_[shard].empty()) min_counter = model_[shard].rbegin()->first + 1 + rng_() % 5;
      auto r = AppendWait(*engine_, shard, recs, min_counter);
      ASSERT_TRUE(r.ok()) << r.message();
      if (min_counter != 0) {
        ASSERT_EQ(r->first_counter, min_counter);
      }
      Record(shard, recs, *r);
    } else if (op < 50) {  // a burst of concurrent appends to several shards: one group
      std::vector<std::vector<Rec>> recs(2 + rng_() % 6);
      std::vector<std::promise<StorageResult<AppendResult>>> done(recs.size());
      std::vector<ShardKey> keys;
      for (size_t i = 0; i < recs.size(); ++i) {
        recs[i] = RandomRecords();
        keys.push_back(shards[rng_() % shards.size()]);
        AppendRequest req{.shard = keys[i], .records = {}, .min_counter = 0};
        for (const Rec& rec : recs[i]) req.records.push_back({rec.key, rec.data});
        engine_->Append(std::move(req), [&done, i](StorageResult<AppendResult> r) {
          done[i].set_value(std::move(r));
        });
      }
      for (size_t i = 0; i < recs.size(); ++i) {
        auto r = done[i].get_future().get();
        ASSERT_TRUE(r.ok()) << r.message();
        Record(keys[i], recs[i], *r);
      }
    } else if (op < 70) {
      RandomRead(shard);
    } else if (op < 80) {
      clock_.AdvanceMs(rng_() % 5000);
    } else if (op < 85) {  // retention pass
      int64_t cutoff = clock_.NowMs() - static_cast<int64_t>(rng_() % 20000);
      ASSERT_TRUE(engine_->Trim(shard, cutoff).ok());
      cutoff_[shard] = std::max(cutoff_[shard], cutoff);
    } else if (op < 88) {  // a torn write, then a crash
      auto recs = RandomRecords();
      size_t len = kBatchHeaderSize;
      for (const Rec& r : recs) len += kRecordHeaderSize + r.key.size() + r.data.size();
      fs_.TornNextAppend(rng_() % len);
      auto r = AppendWait(*engine_, shard, recs);
      ASSERT_FALSE(r.ok());
      Crash(/*keep_unsynced=*/true);
    } else if (op < 91) {
      Crash(/*keep_unsynced=*/rng_() % 2 == 0);
    } else if (op < 93) {  // clean reopen
      engine_.reset();
      Open();
    } else {
      CheckShard(shard);
    }
    if (HasFatalFailure()) return;
  }
  for (ShardKey s : shards) CheckShard(s);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ModelTest, ::testing::Values(1u, 2u, 3u, 4u, 5u, 6u));

// The same engine on the real disk (a fresh directory under /tmp, removed afterwards).
TEST(LogEngineRealFsTest, AppendReadReopenTrimDrop) {
  std::string dir = "/tmp/storage-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  FileSystem& fs = DefaultFileSystem();
  FakeClock clock;
  EngineOptions options{.dir = dir + "/streams", .segment_bytes = 4096};
  ShardKey a{1, 0}, b{2, 0};
  {
    auto e = OpenLogEngine(fs, clock, options);
    ASSERT_TRUE(e.ok()) << e.message();
    for (int i = 0; i < 100; ++i) {
      auto r = AppendWait(**e, i % 2 ? a : b, {{"key", std::string(100, 'a' + i % 26)}});
      ASSERT_TRUE(r.ok()) << r.message();
    }
    clock.AdvanceMs(10);
    ASSERT_EQ(ReadAllFrom(**e, a).size(), 50u);
  }
  {
    auto e = OpenLogEngine(fs, clock, options);
    ASSERT_TRUE(e.ok()) << e.message();
    auto all = ReadAllFrom(**e, a, 0, 7);
    ASSERT_EQ(all.size(), 50u);
    EXPECT_EQ(all[10].rec.data, std::string(100, 'a' + 21 % 26));
    ASSERT_TRUE((*e)->Trim(a, clock.NowMs()).ok());
    ASSERT_TRUE((*e)->DropStream(2).ok());
    EXPECT_TRUE(ReadAllFrom(**e, b).empty());
    EXPECT_LT(ReadAllFrom(**e, a).size(), 50u);
    auto r = AppendWait(**e, a, {{"k", "after"}});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->first_counter, 51u);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace shoal::storage
