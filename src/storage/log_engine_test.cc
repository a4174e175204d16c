// The embedded log engine on MemFileSystem and FakeClock: appends, reads, positions, group
// commit, durability policies, recovery, retention, dropping, SeekTime.

#include "storage/log_engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "common/clock.h"
#include "common/mem_fs.h"
#include "storage/batch_format.h"
#include "storage/engine_test_util.h"

namespace shoal::storage {
namespace {

using testing::AppendWait;
using testing::GatedFileSystem;
using testing::ReadAllFrom;
using testing::ReadRec;
using testing::Rec;

constexpr ShardKey kShard{.stream_revision = 1, .shard_index = 0};
constexpr ShardKey kOther{.stream_revision = 1, .shard_index = 1};
constexpr ShardKey kStream2{.stream_revision = 2, .shard_index = 0};

class LogEngineTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override { Close(); }

  void Open(FileSystem* fs = nullptr) {
    auto e = OpenLogEngine(fs != nullptr ? *fs : fs_, clock_, options_);
    ASSERT_TRUE(e.ok()) << e.message();
    engine_ = std::move(e).value();
  }
  StorageStatus TryOpen() {
    auto e = OpenLogEngine(fs_, clock_, options_);
    if (!e.ok()) return std::move(e).status();
    engine_ = std::move(e).value();
    return StorageStatus();
  }
  void Close() {
    if (engine_) engine_->Stop();
    engine_.reset();
  }
  void Reopen() {
    Close();
    Open();
  }
  void CrashAndReopen(MemCrashOptions crash = {}) {
    // Kill the engine without letting it finish cleanly: crash the file system first, so
    // Stop() can make nothing more durable.
    fs_.SimulateCrash(crash);
    Close();
    fs_.SimulateCrash(crash);
    Open();
  }
  uint64_t Append(ShardKey shard, std::vector<Rec> recs, uint64_t min_counter = 0) {
    auto r = AppendWait(*engine_, shard, recs, min_counter);
    EXPECT_TRUE(r.ok()) << r.message();
    return r.ok() ? r->first_counter : 0;
  }
  std::vector<std::string> SegmentFiles() {
    auto names = fs_.ListDir(options_.dir + "/log");
    return names.ok() ? *names : std::vector<std::string>{};
  }
  std::string LastSegmentPath() { return options_.dir + "/log/" + SegmentFiles().back(); }

  MemFileSystem fs_;
  FakeClock clock_;
  EngineOptions options_{.dir = "/data/streams"};
  std::unique_ptr<LogEngine> engine_;
};

TEST_F(LogEngineTest, AppendAssignsContiguousCountersAndReadsBack) {
  EXPECT_EQ(Append(kShard, {{"a", "1"}, {"b", "22"}}), 1u);
  clock_.AdvanceMs(5);
  EXPECT_EQ(Append(kShard, {{"c", "333"}}), 3u);
  EXPECT_EQ(Append(kOther, {{"x", ""}}), 1u);  // counters are per shard
  auto all = ReadAllFrom(*engine_, kShard);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].counter, 1u);
  EXPECT_EQ(all[0].rec, (Rec{"a", "1"}));
  EXPECT_EQ(all[1].rec, (Rec{"b", "22"}));
  EXPECT_EQ(all[2].counter, 3u);
  EXPECT_EQ(all[2].rec, (Rec{"c", "333"}));
  EXPECT_EQ(all[0].arrival_ms, clock_.NowMs() - 5);
  EXPECT_EQ(all[2].arrival_ms, clock_.NowMs());
  auto other = ReadAllFrom(*engine_, kOther);
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].rec, (Rec{"x", ""}));
}

TEST_F(LogEngineTest, UnknownShardIsEmpty) {
  auto r = engine_->Read(kShard, 0, 10, 100);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->records.empty());
  auto p = engine_->Positions(kShard);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->next_counter, 1u);
  EXPECT_EQ(p->durable_next, 1u);
  EXPECT_EQ(p->first_counter, 1u);
  EXPECT_EQ(*engine_->SeekTime(kShard, 0), 1u);
  EXPECT_TRUE(engine_->Trim(kShard, clock_.NowMs()).ok());
}

TEST_F(LogEngineTest, MinCounterMakesCountersJump) {
  EXPECT_EQ(Append(kShard, {{"a", "1"}}), 1u);
  EXPECT_EQ(Append(kShard, {{"b", "2"}, {"c", "3"}}, 100), 100u);
  EXPECT_EQ(Append(kShard, {{"d", "4"}}, 50), 102u);  // never backwards
  auto all = ReadAllFrom(*engine_, kShard);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[1].counter, 100u);
  EXPECT_EQ(all[3].counter, 102u);
  auto r = engine_->Read(kShard, 2, 10, 1000);  // from inside the gap
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->records.empty());
  EXPECT_EQ(r->records[0].counter, 100u);
  Reopen();
  EXPECT_EQ(Append(kShard, {{"e", "5"}}), 103u);
}

TEST_F(LogEngineTest, ReadLimits) {
  for (int i = 0; i < 10; ++i) Append(kShard, {{"k", std::string(100, static_cast<char>('a' + i))}});
  auto r = engine_->Read(kShard, 1, 3, 1 << 20);  // max_records
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 3u);
  EXPECT_EQ(r->next_counter, 4u);
  r = engine_->Read(kShard, 4, 100, 250);  // max_bytes: 101 bytes each (key + data)
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records.size(), 2u);
  EXPECT_EQ(r->records[0].data[0], 'd');
  EXPECT_EQ(r->next_counter, 6u);
  r = engine_->Read(kShard, 6, 100, 1);  // at least one record, even over max_bytes
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].counter, 6u);
  r = engine_->Read(kShard, 6, 0, 1);  // and even for max_records 0
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records.size(), 1u);
  r = engine_->Read(kShard, 11, 100, 1 << 20);  // at the end: nothing, next stays
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->records.empty());
  EXPECT_EQ(r->next_counter, 11u);
  r = engine_->Read(kShard, 0, 100, 1 << 20);  // before the start: from the first record
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records.size(), 10u);
  EXPECT_EQ(r->records.front().counter, 1u);
}

TEST_F(LogEngineTest, ViewsStayValidWhileThePinLives) {
  Append(kShard, {{"key", "value"}});
  StoredRecord rec;
  std::shared_ptr<const void> pin;
  {
    auto r = engine_->Read(kShard, 1, 1, 100);
    ASSERT_TRUE(r.ok());
    rec = r->records[0];
    pin = r->pin;
  }
  Close();
  EXPECT_EQ(rec.partition_key, "key");
  EXPECT_EQ(rec.data, "value");
}

TEST_F(LogEngineTest, InvalidAppendsFailAlone) {
  auto r = AppendWait(*engine_, kShard, {});
  EXPECT_EQ(r.code(), StorageErrc::kInvalid);
  auto big = AppendWait(*engine_, kShard, {{std::string(70000, 'k'), "x"}});
  EXPECT_EQ(big.code(), StorageErrc::kInvalid);
  EXPECT_EQ(Append(kShard, {{"ok", "1"}}), 1u);
}

TEST_F(LogEngineTest, ThreePositionsUnderSync) {
  Append(kShard, {{"a", "1"}, {"b", "2"}});
  auto p = engine_->Positions(kShard);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->first_counter, 1u);
  EXPECT_EQ(p->next_counter, 3u);
  EXPECT_EQ(p->flushed_next, 3u);
  EXPECT_EQ(p->durable_next, 3u);
  EXPECT_EQ(p->last_arrival_ms, clock_.NowMs());
}

// While a group's sync is held, appends queue up: they are appended (counters assigned
// when their group is planned) but neither flushed nor durable, and reads do not see them.
TEST_F(LogEngineTest, GroupCommitSharesSyncsAndCompletesEveryWaiter) {
  Close();
  GatedFileSystem gated(fs_);
  Open(&gated);
  gated.HoldSyncs();
  constexpr int kThreads = 8, kPerThread = 250;
  std::atomic<int> done{0};
  std::vector<std::vector<std::pair<uint64_t, int>>> got(kThreads);  // (first counter, n)
  std::mutex got_mu;
  // The first append takes the writer to the held sync; the rest queue behind it.
  engine_->Append({.shard = kShard, .records = {{"first", "x"}}, .min_counter = 0},
                  [&](StorageResult<AppendResult> r) { EXPECT_TRUE(r.ok()); ++done; });
  gated.WaitForHeldSync();
  auto p = engine_->Positions(kShard);
  EXPECT_EQ(p->next_counter, 2u);
  EXPECT_EQ(p->flushed_next, 2u);
  EXPECT_EQ(p->durable_next, 1u);
  EXPECT_TRUE(engine_->Read(kShard, 0, 10, 100)->records.empty());  // not durable yet
  std::vector<std::string> payload(kThreads * kPerThread);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        int n = 1 + (i % 3);
        std::string& data = payload[t * kPerThread + i];
        data = "t" + std::to_string(t) + "-" + std::to_string(i);
        AppendRequest req{.shard = t % 2 == 0 ? kShard : kOther, .records = {}, .min_counter = 0};
        for (int k = 0; k < n; ++k) req.records.push_back({"pk", data});
        engine_->Append(std::move(req), [&, t, n](StorageResult<AppendResult> r) {
          ASSERT_TRUE(r.ok()) << r.message();
          std::lock_guard<std::mutex> l(got_mu);
          got[t].emplace_back(r->first_counter, n);
          ++done;
        });
      }
    });
  }
  for (auto& th : threads) th.join();
  uint64_t syncs_before = fs_.syncs();
  gated.ReleaseSyncs();
  Close();  // drains the queue; every callback has run
  EXPECT_EQ(done.load(), 1 + kThreads * kPerThread);
  uint64_t syncs = fs_.syncs() - syncs_before;
  EXPECT_LT(syncs, 20u) << "2000 appends should share a handful of syncs";
  // Every callback got its own range; per shard the ranges tile the counters exactly.
  for (ShardKey shard : {kShard, kOther}) {
    std::vector<std::pair<uint64_t, int>> ranges;
    if (shard == kShard) ranges.push_back({1, 1});
    for (int t = shard == kShard ? 0 : 1; t < kThreads; t += 2) {
      ranges.insert(ranges.end(), got[t].begin(), got[t].end());
    }
    std::sort(ranges.begin(), ranges.end());
    uint64_t next = 1;
    for (auto [first, n] : ranges) {
      EXPECT_EQ(first, next);
      next = first + n;
    }
  }
  Open();
  size_t other_records = 0;
  for (int t = 1; t < kThreads; t += 2) {
    for (auto [first, n] : got[t]) other_records += n;
  }
  EXPECT_EQ(ReadAllFrom(*engine_, kOther).size(), other_records);
}

TEST_F(LogEngineTest, SyncDurabilityKeepsEveryAcknowledgedRecordAcrossACrash) {
  std::vector<Rec> want;
  for (int i = 0; i < 50; ++i) {
    want.push_back({"k" + std::to_string(i), std::string(i * 7, 'd')});
    Append(i % 2 ? kShard : kOther, {want.back()});
  }
  CrashAndReopen();  // the strict model: only what was synced survives
  auto a = ReadAllFrom(*engine_, kShard);
  auto b = ReadAllFrom(*engine_, kOther);
  EXPECT_EQ(a.size() + b.size(), 50u);
  for (size_t i = 0; i < b.size(); ++i) EXPECT_EQ(b[i].rec, want[2 * i]);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].rec, want[2 * i + 1]);
  EXPECT_EQ(Append(kShard, {{"after", ""}}), 26u);
}

// kFlush acknowledges after write() without fdatasync: it survives a process crash (the
// OS keeps the written pages) but a machine crash can take acknowledged records back.
TEST_F(LogEngineTest, FlushDurabilitySurvivesProcessCrashNotPowerLoss) {
  Close();
  options_.durability = Durability::kFlush;
  Open();
  Append(kShard, {{"a", "1"}});  // creates the segment (one sync of the directory only)
  uint64_t syncs = fs_.syncs();
  for (int i = 0; i < 20; ++i) Append(kShard, {{"k", std::to_string(i)}});
  EXPECT_EQ(fs_.syncs(), syncs) << "kFlush must not sync per append";
  EXPECT_EQ(engine_->Positions(kShard)->durable_next, 22u);
  CrashAndReopen({.keep_unsynced_data = true, .keep_unsynced_dir_entries = true});
  EXPECT_EQ(ReadAllFrom(*engine_, kShard).size(), 21u);
  Append(kShard, {{"lost", "on power loss"}});
  CrashAndReopen();  // strict: the unsynced append is gone, as documented
  EXPECT_EQ(ReadAllFrom(*engine_, kShard).size(), 21u);
}

TEST_F(LogEngineTest, StopFinishesPendingAppendsThenRefuses) {
  std::atomic<int> ok{0};
  for (int i = 0; i < 100; ++i) {
    engine_->Append({.shard = kShard, .records = {{"k", "v"}}, .min_counter = 0},
                    [&](StorageResult<AppendResult> r) { ok += r.ok(); });
  }
  engine_->Stop();
  EXPECT_EQ(ok.load(), 100);
  auto r = AppendWait(*engine_, kShard, {{"k", "v"}});
  EXPECT_EQ(r.code(), StorageErrc::kClosed);
}

TEST_F(LogEngineTest, WriteFailureFailsTheGroupAndLaterAppendsUntilReopen) {
  Append(kShard, {{"a", "1"}});
  fs_.FailAfterBytes(10);
  auto r = AppendWait(*engine_, kShard, {{"b", "2"}});
  EXPECT_EQ(r.code(), StorageErrc::kIo);
  fs_.ClearFaults();
  EXPECT_EQ(AppendWait(*engine_, kShard, {{"c", "3"}}).code(), StorageErrc::kIo);
  EXPECT_EQ(ReadAllFrom(*engine_, kShard).size(), 1u);  // reads go on
  Reopen();  // the torn 10 bytes are truncated
  EXPECT_EQ(ReadAllFrom(*engine_, kShard).size(), 1u);
  EXPECT_EQ(Append(kShard, {{"d", "4"}}), 2u);
}

TEST_F(LogEngineTest, SyncFailureIsNotAcknowledged) {
  Append(kShard, {{"a", "1"}});
  fs_.FailNextSync();
  EXPECT_EQ(AppendWait(*engine_, kShard, {{"b", "2"}}).code(), StorageErrc::kIo);
  EXPECT_EQ(engine_->Positions(kShard)->durable_next, 2u);
  EXPECT_EQ(ReadAllFrom(*engine_, kShard).size(), 1u);
}

// Groups written while a sync runs wait for the next sync; when a sync fails, every group it
// covered fails, and so does everything after it (nothing written since is acknowledged).
TEST_F(LogEngineTest, FailedSyncFailsEveryGroupItCoveredAndLaterOnes) {
  Close();
  GatedFileSystem gated(fs_);
  Open(&gated);
  Append(kShard, {{"a", "durable"}});
  gated.HoldSyncs();
  std::atomic<int> failed{0}, succeeded{0};
  auto count = [&](StorageResult<AppendResult> r) { ++(r.ok() ? succeeded : failed); };
  engine_->Append({.shard = kShard, .records = {{"b", "1"}}, .min_counter = 0}, count);
  gated.WaitForHeldSync();  // a worker holds group "b"'s sync; the other writes on
  std::string big(600 * 1024, 'x');
  for (int i = 0; i < 4; ++i) {  // > max_group_bytes: several groups, written meanwhile
    engine_->Append({.shard = kOther, .records = {{"c", big}}, .min_counter = 0}, count);
  }
  while (engine_->Positions(kOther)->flushed_next < 5) std::this_thread::yield();
  fs_.FailNextSync();
  gated.ReleaseSyncs();
  // The first failed sync covered "b" (and perhaps some "c"s); the rest fail with it or after.
  Close();
  EXPECT_EQ(succeeded.load(), 0);
  EXPECT_EQ(failed.load(), 5);
  Open();
  auto all = ReadAllFrom(*engine_, kShard);  // unacknowledged records may or may not be there
  ASSERT_GE(all.size(), 1u);
  EXPECT_EQ(all[0].rec, (Rec{"a", "durable"}));
}

// Recovery: a crash in the middle of writing the last batch leaves a prefix of it of any
// length. Every such tail is truncated; every earlier record survives; appends go on.
TEST_F(LogEngineTest, TornTailAtEveryByteOffsetOfTheLastBatchIsTruncated) {
  const std::vector<Rec> last = {{"pk1", "the last batch"}, {"pk22", std::string(40, 'z')}};
  size_t batch_len = kBatchHeaderSize;
  for (const Rec& r : last) batch_len += kRecordHeaderSize + r.key.size() + r.data.size();
  for (size_t keep = 0; keep < batch_len; ++keep) {
    SCOPED_TRACE("keep " + std::to_string(keep));
    Close();
    ASSERT_TRUE(fs_.RemoveAll(options_.dir).ok());
    Open();
    Append(kShard, {{"a", "first"}});
    Append(kOther, {{"b", "second"}, {"c", "third"}});
    fs_.TornNextAppend(keep);
    EXPECT_EQ(AppendWait(*engine_, kShard, last).code(), StorageErrc::kIo);
    CrashAndReopen({.keep_unsynced_data = true});
    auto a = ReadAllFrom(*engine_, kShard);
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].rec, (Rec{"a", "first"}));
    EXPECT_EQ(ReadAllFrom(*engine_, kOther).size(), 2u);
    EXPECT_EQ(Append(kShard, last), 2u);
    CrashAndReopen();
    EXPECT_EQ(ReadAllFrom(*engine_, kShard).size(), 3u);
  }
}

TEST_F(LogEngineTest, FlippedBitInASealedSegmentFailsOpenWithItsLocation) {
  Close();
  options_.segment_bytes = 200;  // every append seals the previous segment
  Open();
  for (int i = 0; i < 4; ++i) Append(kShard, {{"k", std::string(100, 'a' + i)}});
  std::vector<std::string> segs = SegmentFiles();
  ASSERT_EQ(segs.size(), 4u);
  Close();
  std::string path = options_.dir + "/log/" + segs[1];
  std::string data = *fs_.ReadAll(path);
  data[kBatchHeaderSize + 50] ^= 0x10;
  auto w = fs_.Create(path);
  ASSERT_TRUE((*w)->Append(data).ok());
  StorageStatus s = TryOpen();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StorageErrc::kCorruption);
  EXPECT_NE(s.message().find(segs[1]), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("offset 0"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("checksum"), std::string::npos) << s.message();
}

TEST_F(LogEngineTest, FlippedBitSeenByAReadIsCorruptionWithItsLocation) {
  Append(kShard, {{"k", "some data"}});
  Append(kShard, {{"k", "more data"}});
  std::string path = LastSegmentPath();
  // Damage the written bytes behind the engine's back (a bad disk block).
  std::string data = *fs_.ReadAll(path);  // the batches, then the segment's reserved zeros
  size_t at = data.find("more data");
  ASSERT_NE(at, std::string::npos);
  data[at + 2] ^= 1;
  ASSERT_TRUE(fs_.Truncate(path, 0).ok());
  ASSERT_TRUE((*fs_.OpenAppendable(path))->Append(data).ok());
  auto r = engine_->Read(kShard, 1, 10, 1000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), StorageErrc::kCorruption);
  EXPECT_NE(r.message().find(path), std::string::npos) << r.message();
}

TEST_F(LogEngineTest, DamageBeforeIntactBatchesInTheLastSegmentIsCorruptionNotATornTail) {
  for (int i = 0; i < 3; ++i) Append(kShard, {{"k", "record " + std::to_string(i)}});
  Close();
  std::string path = LastSegmentPath();
  std::string data = *fs_.ReadAll(path);
  data[20] ^= 0x40;  // inside the first batch's header; two intact batches follow
  auto w = fs_.Create(path);
  ASSERT_TRUE((*w)->Append(data).ok());
  StorageStatus s = TryOpen();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StorageErrc::kCorruption);
  EXPECT_NE(s.message().find("intact batch follows"), std::string::npos) << s.message();
}

TEST_F(LogEngineTest, ZeroFilledTailIsTorn) {
  Append(kShard, {{"k", "v"}});
  Close();
  ASSERT_TRUE((*fs_.OpenAppendable(LastSegmentPath()))->Append(std::string(4096, '\0')).ok());
  Open();
  EXPECT_EQ(ReadAllFrom(*engine_, kShard).size(), 1u);
}

// The active segment is created with segment_bytes reserved (syncs then skip growing the
// file); a crash leaves the zeros past its data, which recovery cuts off as a torn tail.
TEST_F(LogEngineTest, ReservedZerosOfACrashedSegmentAreCutOffAtRecovery) {
  Close();
  options_.segment_bytes = 64 * 1024;
  Open();
  Append(kShard, {{"k", "v1"}});
  Append(kShard, {{"k", "v2"}});
  EXPECT_EQ(fs_.ReadAll(LastSegmentPath())->size(), options_.segment_bytes);
  CrashAndReopen();
  auto all = ReadAllFrom(*engine_, kShard);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].rec.data, "v2");
  std::string first = options_.dir + "/log/" + SegmentFiles().front();
  std::string data = *fs_.ReadDurable(first);
  EXPECT_LT(data.size(), 1000u);  // two small batches, not 64 KiB
  EXPECT_EQ(data.find('\0', data.size() - 1), std::string::npos) << "zeros left at the end";
  EXPECT_EQ(Append(kShard, {{"k", "v3"}}), 3u);  // appends go on in a fresh segment
}

// Only the active segment has a reservation: a segment that rolled over, and the last one
// after a clean stop, end exactly at their data (so only the last can look torn).
TEST_F(LogEngineTest, RolledAndStoppedSegmentsKeepNoReservedTail) {
  Close();
  options_.segment_bytes = 512;
  Open();
  for (int i = 0; i < 30; ++i) Append(kShard, {{"k", std::string(40, 'x')}});
  std::vector<std::string> segs = SegmentFiles();
  ASSERT_GT(segs.size(), 2u);
  for (size_t i = 0; i + 1 < segs.size(); ++i) {
    EXPECT_LE(fs_.ReadDurable(options_.dir + "/log/" + segs[i])->size(), 512u) << segs[i];
  }
  EXPECT_EQ(fs_.ReadAll(LastSegmentPath())->size(), 512u);  // still reserved
  Close();
  EXPECT_LT(fs_.ReadDurable(LastSegmentPath())->size(), 512u);
  fs_.SimulateCrash();
  Open();
  EXPECT_EQ(ReadAllFrom(*engine_, kShard).size(), 30u);
}

TEST_F(LogEngineTest, SegmentsRollAndReadsCrossThem) {
  Close();
  options_.segment_bytes = 512;
  options_.index_interval_bytes = 100;
  Open();
  std::vector<Rec> want;
  for (int i = 0; i < 60; ++i) {
    want.push_back({"key" + std::to_string(i % 7), std::string(i % 40, static_cast<char>('a' + i % 26))});
    Append(i % 3 ? kShard : kOther, {want.back()});
    if (i % 3 == 0) want.pop_back();
  }
  EXPECT_GT(SegmentFiles().size(), 5u);
  for (int pass = 0; pass < 2; ++pass) {
    auto all = ReadAllFrom(*engine_, kShard, 0, 3);
    ASSERT_EQ(all.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(all[i].counter, i + 1);
      EXPECT_EQ(all[i].rec, want[i]);
    }
    Reopen();
  }
}

// Three ways to read an index entry: contiguous (one pread), interleaved but dense (one pread
// of the range, links followed in memory) and sparse (a shard's small batches between other
// shards' big ones: header preads along the chain, then only its batches).
TEST_F(LogEngineTest, ReadsDenseAndSparseChainsAlike) {
  std::string big(50 * 1024, 'B');
  std::vector<Rec> small, dense;
  for (int i = 0; i < 20; ++i) {
    small.push_back({"s", "small " + std::to_string(i)});
    Append(kShard, {small.back()});  // sparse: 50 KiB of kOther between each
    Append(kOther, {{"b", big}});
  }
  for (int i = 0; i < 20; ++i) {
    dense.push_back({"d", "dense " + std::to_string(i)});
    Append(kStream2, {dense.back()});  // dense: only small batches between
    Append({3, 0}, {{"x", "y"}});
  }
  for (int pass = 0; pass < 2; ++pass) {
    auto s = ReadAllFrom(*engine_, kShard, 0, 3);
    ASSERT_EQ(s.size(), small.size());
    for (size_t i = 0; i < s.size(); ++i) EXPECT_EQ(s[i].rec, small[i]);
    auto d = ReadAllFrom(*engine_, kStream2, 0, 3);
    ASSERT_EQ(d.size(), dense.size());
    for (size_t i = 0; i < d.size(); ++i) EXPECT_EQ(d[i].rec, dense[i]);
    EXPECT_EQ(ReadAllFrom(*engine_, kOther).size(), 20u);
    auto r = engine_->Read(kShard, 7, 2, 1 << 20);  // from the middle of a sparse entry
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->records.size(), 2u);
    EXPECT_EQ(r->records[0].data, "small 6");
    EXPECT_EQ(r->next_counter, 9u);
    Reopen();
  }
}

TEST_F(LogEngineTest, RetentionRemovesWholeSegmentsByArrivalTime) {
  Close();
  options_.segment_bytes = 256;
  Open();
  const int64_t t0 = clock_.NowMs();
  for (int i = 0; i < 10; ++i) {  // one segment per append; one per hour
    Append(kShard, {{"k", std::string(200, 'x')}});
    clock_.AdvanceMs(3600'000);
  }
  ASSERT_EQ(SegmentFiles().size(), 10u);
  // Records of hours 0..3 are older than the cutoff.
  ASSERT_TRUE(engine_->Trim(kShard, t0 + 3 * 3600'000 + 1).ok());
  EXPECT_EQ(SegmentFiles().size(), 6u);
  auto p = engine_->Positions(kShard);
  EXPECT_EQ(p->first_counter, 5u);
  auto all = ReadAllFrom(*engine_, kShard);
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all.front().counter, 5u);
  EXPECT_EQ(all.front().arrival_ms, t0 + 4 * 3600'000);
  Reopen();
  EXPECT_EQ(engine_->Positions(kShard)->first_counter, 5u);
  ASSERT_TRUE(engine_->Trim(kShard, clock_.NowMs()).ok());  // everything expired
  p = engine_->Positions(kShard);
  EXPECT_EQ(p->first_counter, 10u) << "the newest piece stays, to keep the counters";
  EXPECT_EQ(p->next_counter, 11u);
  EXPECT_EQ(SegmentFiles().size(), 1u);
  EXPECT_EQ(ReadAllFrom(*engine_, kShard).size(), 1u);
  Reopen();
  EXPECT_EQ(Append(kShard, {{"k", "new"}}), 11u);  // counters never go back
}

// A shared segment stays while any shard still has records in it; once the last one lets
// go it is removed. Retention of one shard never hides another's records.
TEST_F(LogEngineTest, SharedSegmentStaysUntilEveryShardReleasesIt) {
  Close();
  options_.segment_bytes = 300;
  Open();
  const int64_t t0 = clock_.NowMs();
  Append(kShard, {{"short", "retention"}});  // segment 1
  Append(kStream2, {{"long", "retention"}}); // segment 1
  clock_.AdvanceMs(1000);
  Append(kShard, {{"k", std::string(250, 'x')}});    // segment 2
  Append(kStream2, {{"k", std::string(250, 'y')}});  // segment 3
  ASSERT_EQ(SegmentFiles().size(), 3u);
  ASSERT_TRUE(engine_->Trim(kShard, t0 + 1).ok());
  EXPECT_EQ(ReadAllFrom(*engine_, kShard).size(), 1u);
  EXPECT_EQ(ReadAllFrom(*engine_, kStream2).size(), 2u);
  EXPECT_EQ(SegmentFiles().size(), 3u);  // stream 2 still holds segment 1
  ASSERT_TRUE(engine_->Trim(kStream2, t0 + 1).ok());
  EXPECT_EQ(SegmentFiles().size(), 2u);
  EXPECT_EQ(ReadAllFrom(*engine_, kStream2).size(), 1u);
}

TEST_F(LogEngineTest, RecoveryCutsAShardWhereRetentionRemovedASegment) {
  Close();
  options_.segment_bytes = 300;
  Open();
  const int64_t t0 = clock_.NowMs();
  Append(kShard, {{"a", "1"}});                      // segment 1
  Append(kStream2, {{"b", "1"}});                    // segment 1 (keeps it alive)
  Append(kShard, {{"c", std::string(250, 'c')}});    // segment 2: kShard only
  clock_.AdvanceMs(10);
  Append(kShard, {{"d", "3"}});                      // segment 3
  ASSERT_TRUE(engine_->Trim(kShard, t0 + 1).ok());   // releases 1 (kept: stream 2) and 2
  ASSERT_EQ(SegmentFiles().size(), 2u);
  ASSERT_EQ(ReadAllFrom(*engine_, kShard).size(), 1u);
  Reopen();
  // Segment 1 still holds kShard's record 1, but record 2 is gone: recovery sees the broken
  // prev link and starts the shard after the hole rather than serve 1 then 3.
  auto all = ReadAllFrom(*engine_, kShard);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].counter, 3u);
  EXPECT_EQ(engine_->Positions(kShard)->first_counter, 3u);
}

TEST_F(LogEngineTest, DropStreamRemovesItsLogs) {
  Close();
  options_.segment_bytes = 300;
  Open();
  for (int i = 0; i < 5; ++i) Append(kStream2, {{"k", std::string(200, 'x')}});
  Append(kShard, {{"k", "keep"}});
  ASSERT_TRUE(engine_->DropStream(kStream2.stream_revision).ok());
  EXPECT_TRUE(ReadAllFrom(*engine_, kStream2).empty());
  EXPECT_EQ(engine_->Positions(kStream2)->next_counter, 1u);
  EXPECT_EQ(AppendWait(*engine_, kStream2, {{"k", "v"}}).code(), StorageErrc::kInvalid);
  EXPECT_EQ(SegmentFiles().size(), 1u);  // only kShard's
  CrashAndReopen();
  EXPECT_TRUE(ReadAllFrom(*engine_, kStream2).empty());
  EXPECT_EQ(ReadAllFrom(*engine_, kShard).size(), 1u);
  EXPECT_TRUE(engine_->DropStream(kStream2.stream_revision).ok());  // idempotent
  EXPECT_EQ(engine_->Stats().shards, 1u);
}

TEST_F(LogEngineTest, DroppedDataInASharedSegmentStaysGoneAfterRestart) {
  Append(kStream2, {{"dropped", "x"}});
  Append(kShard, {{"kept", "y"}});
  ASSERT_TRUE(engine_->DropStream(2).ok());
  CrashAndReopen();
  EXPECT_TRUE(ReadAllFrom(*engine_, kStream2).empty());
  EXPECT_EQ(ReadAllFrom(*engine_, kShard).size(), 1u);
}

// Seal: appends accepted before it complete (and are readable), later ones fail kSealed and
// write nothing; the shard reports sealed only once the earlier appends have completed.
TEST_F(LogEngineTest, SealRejectsLaterAppendsAndWaitsForEarlierOnes) {
  Close();
  GatedFileSystem gated(fs_);
  Open(&gated);
  std::vector<ShardKey> notified;
  std::mutex notified_mu;
  engine_->SetDurableListener([&](ShardKey k) {
    std::lock_guard<std::mutex> l(notified_mu);
    notified.push_back(k);
  });
  gated.HoldSyncs();
  std::atomic<int> done{0};
  engine_->Append({.shard = kShard, .records = {{"a", "1"}}, .min_counter = 0},
                  [&](StorageResult<AppendResult> r) { EXPECT_TRUE(r.ok()); ++done; });
  gated.WaitForHeldSync();
  engine_->Append({.shard = kShard, .records = {{"b", "2"}}, .min_counter = 0},
                  [&](StorageResult<AppendResult> r) { EXPECT_TRUE(r.ok()); ++done; });
  std::atomic<bool> seal_done{false};
  std::promise<void> sealed;
  engine_->Seal(kShard, [&] {
    seal_done = true;
    sealed.set_value();
  });
  StorageErrc rejected = StorageErrc::kIo;
  engine_->Append({.shard = kShard, .records = {{"c", "3"}}, .min_counter = 0},
                  [&](StorageResult<AppendResult> r) {
                    ASSERT_FALSE(r.ok());
                    rejected = r.code();
                  });
  EXPECT_EQ(rejected, StorageErrc::kSealed);  // at once, on the caller's thread
  EXPECT_FALSE(engine_->Positions(kShard)->sealed);  // two appends still in flight
  EXPECT_FALSE(seal_done);
  // Other shards are not affected.
  engine_->Append({.shard = kOther, .records = {{"d", "4"}}, .min_counter = 0},
                  [&](StorageResult<AppendResult> r) { EXPECT_TRUE(r.ok()); ++done; });
  gated.ReleaseSyncs();
  sealed.get_future().get();
  auto p = engine_->Positions(kShard);
  EXPECT_TRUE(p->sealed);
  EXPECT_TRUE(seal_done);
  EXPECT_EQ(p->next_counter, 3u);
  EXPECT_EQ(p->durable_next, 3u);
  EXPECT_EQ(ReadAllFrom(*engine_, kShard, 0).size(), 2u);
  Close();
  EXPECT_EQ(done.load(), 3);
  std::lock_guard<std::mutex> l(notified_mu);
  EXPECT_NE(std::find(notified.begin(), notified.end(), kShard), notified.end());
  EXPECT_NE(std::find(notified.begin(), notified.end(), kOther), notified.end());
}

TEST_F(LogEngineTest, SealOfAnUnwrittenShardCompletesAndIsIdempotent) {
  std::promise<void> sealed;
  engine_->Seal(kStream2, [&] { sealed.set_value(); });
  sealed.get_future().get();
  EXPECT_TRUE(engine_->Positions(kStream2)->sealed);
  int inline_done = 0;
  engine_->Seal(kStream2, [&] { ++inline_done; });  // already sealed: at once
  EXPECT_EQ(inline_done, 1);
  auto r = AppendWait(*engine_, kStream2, {{"k", "v"}}, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), StorageErrc::kSealed);
  // Not persisted: a reopened engine accepts appends until the owner seals again.
  Reopen();
  EXPECT_FALSE(engine_->Positions(kStream2)->sealed);
  EXPECT_EQ(Append(kStream2, {{"k", "v"}}), 1u);
  // Dropping the stream forgets the seal.
  std::promise<void> resealed;
  engine_->Seal(kStream2, [&] { resealed.set_value(); });
  resealed.get_future().get();
  ASSERT_TRUE(engine_->DropStream(kStream2.stream_revision).ok());
  EXPECT_FALSE(engine_->Positions(kStream2)->sealed);
}

TEST_F(LogEngineTest, SeekTimeFindsTheFirstRecordAtOrAfter) {
  Close();
  options_.index_interval_bytes = 1 << 20;  // one index entry: SeekTime walks inside it
  Open();
  const int64_t t0 = clock_.NowMs();
  for (int i = 0; i < 10; ++i) {
    Append(kShard, {{"k", "a"}, {"k", "b"}});  // counters 2i+1, 2i+2 at t0 + 100 i
    clock_.AdvanceMs(100);
  }
  EXPECT_EQ(*engine_->SeekTime(kShard, 0), 1u);
  EXPECT_EQ(*engine_->SeekTime(kShard, t0), 1u);
  EXPECT_EQ(*engine_->SeekTime(kShard, t0 + 1), 3u);
  EXPECT_EQ(*engine_->SeekTime(kShard, t0 + 500), 11u);
  EXPECT_EQ(*engine_->SeekTime(kShard, t0 + 901), 21u);  // after the last: durable_next
  Close();
  options_.index_interval_bytes = 1;  // an entry per batch: found in the index alone
  Open();
  EXPECT_EQ(*engine_->SeekTime(kShard, t0 + 450), 11u);
  EXPECT_EQ(*engine_->SeekTime(kShard, t0 + 900), 19u);
}

TEST_F(LogEngineTest, ArrivalTimesNeverGoBackwardsInAShard) {
  Append(kShard, {{"k", "1"}});
  clock_.AdvanceMs(-5000);  // the wall clock stepped back
  Append(kShard, {{"k", "2"}});
  auto all = ReadAllFrom(*engine_, kShard);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].arrival_ms, all[0].arrival_ms);
}

TEST_F(LogEngineTest, IdleShardsCostNoFilesAndReadHandlesAreCapped) {
  Close();
  options_.segment_bytes = 4096;
  options_.max_open_files = 4;
  Open();
  for (uint32_t s = 0; s < 2000; ++s) {
    Append({.stream_revision = 9, .shard_index = s}, {{"k", "idle shard record"}});
  }
  EngineStats stats = engine_->Stats();
  EXPECT_EQ(stats.shards, 2000u);
  EXPECT_GT(stats.segments, 10u);
  for (uint32_t s = 0; s < 2000; s += 7) {
    ASSERT_EQ(ReadAllFrom(*engine_, {.stream_revision = 9, .shard_index = s}).size(), 1u);
  }
  EXPECT_LE(engine_->Stats().open_read_files, 4u);
  EXPECT_LT(stats.memory_bytes, 2000u * 512) << "a few hundred bytes per idle shard";
}

}  // namespace
}  // namespace shoal::storage
