#include "meta/catalog.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "meta/command_codec.h"
#include "meta/log_format.h"
#include "meta/test_util.h"

namespace shoal::meta {
namespace {

using testing::CatalogState;
using testing::kTestDir;
using testing::LogContents;
using testing::MustOpen;
using testing::SampleStream;
using testing::Script;
using testing::StateOf;
using testing::WriteLog;

const std::string kLogPath = std::string(kTestDir) + "/" + kMetaLogName;
const std::string kTmpPath = std::string(kTestDir) + "/" + kMetaLogTmpName;

void ApplyAll(Catalog& catalog, const std::vector<Command>& commands) {
  for (const Command& cmd : commands) {
    MetaStatus status = catalog.Apply(cmd);
    ASSERT_TRUE(status.ok()) << CommandName(cmd) << ": " << status.message();
  }
}

std::string Record(const Command& cmd) {
  std::string out;
  AppendRecord(&out, RecordType::kCommand, EncodeCommand(cmd));
  return out;
}

MetaErrc OpenError(MemFileSystem& fs, std::string* message = nullptr) {
  auto catalog = Catalog::Open(fs, kTestDir);
  EXPECT_FALSE(catalog.ok());
  if (catalog.ok()) return MetaErrc::kIo;
  if (message != nullptr) *message = catalog.message();
  return catalog.code();
}

TEST(CatalogTest, OpenCreatesDirectoryAndDurableEmptyLog) {
  MemFileSystem fs;
  auto catalog = MustOpen(fs);
  EXPECT_TRUE(catalog->streams().empty());
  EXPECT_EQ(catalog->last_revision(), 0u);
  EXPECT_TRUE(fs.ReadDurable(kLogPath).ok());  // survives a crash right away
  fs.SimulateCrash();
  EXPECT_TRUE(*fs.Exists(kLogPath));
}

TEST(CatalogTest, ApplyIsDurableBeforeItReturns) {
  MemFileSystem fs;
  auto catalog = MustOpen(fs);
  uint64_t syncs = fs.syncs();
  ASSERT_TRUE(catalog->Apply(CreateStreamCmd{SampleStream("s", 1)}).ok());
  EXPECT_EQ(fs.syncs(), syncs + 1);
  fs.SimulateCrash();
  auto reopened = MustOpen(fs);
  ASSERT_NE(reopened->FindStream("s"), nullptr);
  EXPECT_EQ(*reopened->FindStream("s"), SampleStream("s", 1));
}

TEST(CatalogTest, ReplayAfterReopenGivesIdenticalTables) {
  MemFileSystem fs;
  CatalogState before;
  {
    auto catalog = MustOpen(fs);
    ApplyAll(*catalog, Script());
    before = StateOf(*catalog);
  }
  EXPECT_EQ(before, testing::ReferenceStates(Script()).back());
  auto reopened = MustOpen(fs);
  EXPECT_EQ(StateOf(*reopened), before);
  EXPECT_EQ(reopened->FindStream("a"), nullptr);
  ASSERT_NE(reopened->FindStream("b"), nullptr);
  EXPECT_EQ(reopened->FindStream("b")->revision, 3u);
}

TEST(CatalogTest, InvalidCommandsAreRejectedAndNotLogged) {
  MemFileSystem fs;
  auto catalog = MustOpen(fs);
  ASSERT_TRUE(catalog->Apply(CreateStreamCmd{SampleStream("s", 1)}).ok());
  std::string log = LogContents(fs);
  struct Case {
    Command cmd;
    std::string fragment;
  };
  std::vector<Case> cases = {
      {CreateStreamCmd{SampleStream("s", 2)}, "CreateStream 's': already exists"},
      {CreateStreamCmd{SampleStream("t", 1)}, "not above the last revision 1"},
      {SetRetentionCmd{"nope", 1, 48}, "SetRetention 'nope': no such stream"},
      {DeleteStreamCmd{"s", 2}, "revision 2 does not match the stream's 1"},
      {AddTagsCmd{"s", 0, {}}, "revision 0 does not match"},
  };
  for (const Case& c : cases) {
    MetaStatus status = catalog->Apply(c.cmd);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.code(), MetaErrc::kInvalidCommand);
    EXPECT_NE(status.message().find(c.fragment), std::string::npos) << status.message();
  }
  EXPECT_EQ(LogContents(fs), log);
}

TEST(CatalogTest, RecreatedNameGetsHigherRevisionThatSurvivesReopen) {
  MemFileSystem fs;
  {
    auto catalog = MustOpen(fs);
    ApplyAll(*catalog, {CreateStreamCmd{SampleStream("s", 1)}, DeleteStreamCmd{"s", 1}});
    EXPECT_EQ(catalog->last_revision(), 1u);
    EXPECT_EQ(catalog->Apply(CreateStreamCmd{SampleStream("s", 1)}).code(),
              MetaErrc::kInvalidCommand);
    ASSERT_TRUE(catalog->Apply(CreateStreamCmd{SampleStream("s", 2)}).ok());
    ASSERT_TRUE(catalog->Apply(DeleteStreamCmd{"s", 2}).ok());
  }
  auto catalog = MustOpen(fs);
  EXPECT_TRUE(catalog->streams().empty());
  EXPECT_EQ(catalog->last_revision(), 2u);
  EXPECT_EQ(catalog->Apply(CreateStreamCmd{SampleStream("s", 2)}).code(),
            MetaErrc::kInvalidCommand);
  ASSERT_TRUE(catalog->Apply(CreateStreamCmd{SampleStream("s", 3)}).ok());
}

TEST(CatalogTest, LastRevisionSurvivesCompactionOfAnEmptyCatalog) {
  MemFileSystem fs;
  StreamRecord bare;
  bare.name = "s";
  bare.revision = 7;
  Command create = CreateStreamCmd{bare};
  // The create alone stays at the threshold; the delete pushes the log past it.
  CatalogOptions options{.compact_after_bytes = Record(create).size()};
  {
    auto catalog = MustOpen(fs, options);
    ApplyAll(*catalog, {create, DeleteStreamCmd{"s", 7}});
  }
  auto scan = ScanLog(LogContents(fs));
  ASSERT_TRUE(scan.ok());
  ASSERT_EQ(scan->records.size(), 1u);  // a bare snapshot header
  EXPECT_EQ(scan->records[0].type, RecordType::kSnapshotHeader);
  auto catalog = MustOpen(fs, options);
  EXPECT_EQ(catalog->last_revision(), 7u);
  EXPECT_TRUE(catalog->streams().empty());
}

TEST(CatalogTest, LastRevisionAboveEveryLiveStreamSurvivesCompaction) {
  MemFileSystem fs;
  CatalogOptions options{.compact_after_bytes = 1024};
  {
    auto catalog = MustOpen(fs, options);
    ApplyAll(*catalog, {CreateStreamCmd{SampleStream("keep", 1)},
                        CreateStreamCmd{SampleStream("gone", 2)}, DeleteStreamCmd{"gone", 2}});
    bool compacted = false;
    for (int i = 0; i < 100 && !compacted; ++i) {
      size_t before = LogContents(fs).size();
      ASSERT_TRUE(catalog->Apply(AddTagsCmd{"keep", 1, {{"i", std::to_string(i)}}}).ok());
      compacted = LogContents(fs).size() < before;
    }
    ASSERT_TRUE(compacted);
  }
  auto catalog = MustOpen(fs, options);
  EXPECT_EQ(catalog->last_revision(), 2u);
  EXPECT_EQ(catalog->streams().size(), 1u);
  EXPECT_EQ(catalog->Apply(CreateStreamCmd{SampleStream("gone", 2)}).code(),
            MetaErrc::kInvalidCommand);
}

TEST(CatalogTest, FailedSyncIsUndoneAndTheCatalogCarriesOn) {
  MemFileSystem fs;
  auto catalog = MustOpen(fs);
  ASSERT_TRUE(catalog->Apply(CreateStreamCmd{SampleStream("s", 1)}).ok());
  std::string log = LogContents(fs);
  CatalogState before = StateOf(*catalog);
  fs.FailNextSync();
  MetaStatus status = catalog->Apply(SetRetentionCmd{"s", 1, 100});
  EXPECT_EQ(status.code(), MetaErrc::kIo);
  EXPECT_NE(status.message().find("nothing applied"), std::string::npos) << status.message();
  EXPECT_EQ(StateOf(*catalog), before);
  EXPECT_EQ(LogContents(fs), log);
  ASSERT_TRUE(catalog->Apply(SetRetentionCmd{"s", 1, 200}).ok());
  fs.SimulateCrash({.keep_unsynced_data = true});
  auto reopened = MustOpen(fs);
  EXPECT_EQ(reopened->FindStream("s")->retention_hours, 200);
}

// A sync that reports failure after all may have written the record: the undo must make
// the truncation durable, or a crash would resurrect a command that was reported failed.
TEST(CatalogTest, UndoOfAFailedSyncIsItselfDurable) {
  MemFileSystem fs;
  auto catalog = MustOpen(fs);
  ASSERT_TRUE(catalog->Apply(CreateStreamCmd{SampleStream("s", 1)}).ok());
  fs.FailNextSync(MemFileSystem::FailedSync::kDataDurable);
  EXPECT_EQ(catalog->Apply(DeleteStreamCmd{"s", 1}).code(), MetaErrc::kIo);
  catalog.reset();
  fs.SimulateCrash();
  auto reopened = MustOpen(fs);
  EXPECT_NE(reopened->FindStream("s"), nullptr);
}

TEST(CatalogTest, FailedCompactionKeepsTheOldLogAndCleansUp) {
  MemFileSystem fs;
  CatalogOptions options{.compact_after_bytes = 512};
  auto catalog = MustOpen(fs, options);
  ASSERT_TRUE(catalog->Apply(CreateStreamCmd{SampleStream("s", 1)}).ok());
  // Grow the log to just below the threshold, then let the compacting Apply's snapshot
  // write fail: the command itself is durable, so Apply succeeds.
  std::string record = Record(SetRetentionCmd{"s", 1, 1000});  // all of one size
  for (int i = 0; LogContents(fs).size() + record.size() <= 512; ++i) {
    ASSERT_TRUE(catalog->Apply(SetRetentionCmd{"s", 1, 24 + i}).ok());
  }
  size_t before = LogContents(fs).size();
  ASSERT_GT(before + record.size(), 512u);
  fs.FailAfterBytes(record.size() + 10);
  ASSERT_TRUE(catalog->Apply(SetRetentionCmd{"s", 1, 1000}).ok());
  EXPECT_EQ(LogContents(fs).size(), before + record.size());
  EXPECT_FALSE(*fs.Exists(kTmpPath));
  fs.ClearFaults();
  // The failure backs off: the next compaction waits for compact_after_bytes more growth.
  ASSERT_TRUE(catalog->Apply(SetRetentionCmd{"s", 1, 1001}).ok());
  EXPECT_GT(LogContents(fs).size(), before + record.size());
  catalog.reset();
  fs.SimulateCrash();
  EXPECT_EQ(MustOpen(fs, options)->FindStream("s")->retention_hours, 1001);
}

TEST(CatalogTest, PartialAppendIsTruncatedBack) {
  MemFileSystem fs;
  auto catalog = MustOpen(fs);
  std::string log = LogContents(fs);
  fs.FailAfterBytes(10);
  EXPECT_EQ(catalog->Apply(CreateStreamCmd{SampleStream("s", 1)}).code(), MetaErrc::kIo);
  EXPECT_EQ(LogContents(fs), log);
  EXPECT_TRUE(catalog->streams().empty());
  fs.ClearFaults();
  ASSERT_TRUE(catalog->Apply(CreateStreamCmd{SampleStream("s", 1)}).ok());
  auto reopened = MustOpen(fs);
  EXPECT_EQ(reopened->streams().size(), 1u);
}

TEST(CatalogTest, FailedUndoFailsTheCatalogUntilReopened) {
  MemFileSystem fs;
  auto catalog = MustOpen(fs);
  fs.FreezeAfterOps(1);
  fs.TornNextAppend(5);
  EXPECT_EQ(catalog->Apply(CreateStreamCmd{SampleStream("s", 1)}).code(), MetaErrc::kIo);
  fs.ClearFaults();  // even with a healthy disk again, the catalog stays failed
  MetaStatus status = catalog->Apply(CreateStreamCmd{SampleStream("s", 1)});
  EXPECT_EQ(status.code(), MetaErrc::kIo);
  EXPECT_NE(status.message().find("reopen"), std::string::npos) << status.message();
  EXPECT_TRUE(catalog->streams().empty());
  catalog.reset();
  auto reopened = MustOpen(fs);  // truncates the torn 5 bytes
  EXPECT_TRUE(reopened->streams().empty());
  ASSERT_TRUE(reopened->Apply(CreateStreamCmd{SampleStream("s", 1)}).ok());
}

// Builds a log of the script's records; returns it and each record's offset.
std::string ScriptLog(std::vector<size_t>* offsets) {
  std::string log;
  for (const Command& cmd : Script()) {
    offsets->push_back(log.size());
    log += Record(cmd);
  }
  return log;
}

TEST(CatalogTest, EveryBitFlipInAMiddleRecordIsCorruptionNamingItsOffset) {
  std::vector<size_t> offsets;
  std::string log = ScriptLog(&offsets);
  size_t middle = offsets.size() / 2;
  size_t begin = offsets[middle], end = offsets[middle + 1];
  for (size_t bit = begin * 8; bit < end * 8; ++bit) {
    std::string damaged = log;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    MemFileSystem fs;
    WriteLog(fs, damaged);
    std::string message;
    ASSERT_EQ(OpenError(fs, &message), MetaErrc::kCorruption) << "bit " << bit;
    EXPECT_NE(message.find("offset " + std::to_string(begin)), std::string::npos) << message;
    EXPECT_EQ(LogContents(fs), damaged);  // nothing was truncated
  }
}

TEST(CatalogTest, DamagedLastRecordIsTruncatedAway) {
  std::vector<size_t> offsets;
  std::string log = ScriptLog(&offsets);
  log[log.size() - 2] ^= 1;
  MemFileSystem fs;
  WriteLog(fs, log);
  auto catalog = MustOpen(fs);
  auto states = testing::ReferenceStates(Script());
  EXPECT_EQ(StateOf(*catalog), states[states.size() - 2]);
  EXPECT_EQ(fs.ReadDurable(kLogPath)->size(), offsets.back());  // truncated durably
}

TEST(CatalogTest, IntactButUndecodableRecordIsCorruptionAnywhere) {
  std::string garbage;
  AppendRecord(&garbage, RecordType::kCommand, std::string("\x01\x63", 2));  // tag 99
  for (bool at_tail : {false, true}) {
    std::string log = Record(CreateStreamCmd{SampleStream("s", 1)}) + garbage;
    if (!at_tail) log += Record(DeleteStreamCmd{"s", 1});
    MemFileSystem fs;
    WriteLog(fs, log);
    std::string message;
    EXPECT_EQ(OpenError(fs, &message), MetaErrc::kCorruption);
    EXPECT_NE(message.find("unknown command tag 99"), std::string::npos) << message;
  }
}

TEST(CatalogTest, RecordThatDoesNotApplyIsCorruption) {
  std::string log =
      Record(CreateStreamCmd{SampleStream("s", 1)}) + Record(SetRetentionCmd{"s", 2, 48});
  MemFileSystem fs;
  WriteLog(fs, log);
  std::string message;
  EXPECT_EQ(OpenError(fs, &message), MetaErrc::kCorruption);
  EXPECT_NE(message.find("does not apply"), std::string::npos) << message;
}

TEST(CatalogTest, MisplacedOrShortSnapshotIsCorruption) {
  std::string header;
  AppendRecord(&header, RecordType::kSnapshotHeader, EncodeSnapshotHeader({5, 2}));
  std::string message;
  {
    MemFileSystem fs;
    WriteLog(fs, header + Record(CreateStreamCmd{SampleStream("s", 3)}));
    EXPECT_EQ(OpenError(fs, &message), MetaErrc::kCorruption);
    EXPECT_NE(message.find("1 streams short"), std::string::npos) << message;
  }
  {
    MemFileSystem fs;
    WriteLog(fs, Record(CreateStreamCmd{SampleStream("s", 3)}) + header);
    EXPECT_EQ(OpenError(fs, &message), MetaErrc::kCorruption);
    EXPECT_NE(message.find("snapshot header not first"), std::string::npos) << message;
  }
  {
    MemFileSystem fs;  // a snapshot record may not carry a revision above the header's
    std::string h;
    AppendRecord(&h, RecordType::kSnapshotHeader, EncodeSnapshotHeader({2, 1}));
    WriteLog(fs, h + Record(CreateStreamCmd{SampleStream("s", 3)}));
    EXPECT_EQ(OpenError(fs, &message), MetaErrc::kCorruption);
  }
}

TEST(CatalogTest, CompactionBoundsTheLogAndPreservesEverything) {
  MemFileSystem fs;
  CatalogOptions options{.compact_after_bytes = 2048};
  CatalogState state;
  size_t max_log = 0;
  {
    auto catalog = MustOpen(fs, options);
    ApplyAll(*catalog, Script());
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(catalog->Apply(AddTagsCmd{"b", 3, {{"i", std::to_string(i)}}}).ok());
      max_log = std::max(max_log, LogContents(fs).size());
    }
    state = StateOf(*catalog);
  }
  EXPECT_LT(max_log, 2048u + 200u);
  auto scan = ScanLog(LogContents(fs));
  ASSERT_TRUE(scan.ok());
  EXPECT_EQ(scan->records[0].type, RecordType::kSnapshotHeader);
  EXPECT_FALSE(*fs.Exists(kTmpPath));
  auto reopened = MustOpen(fs, options);
  EXPECT_EQ(StateOf(*reopened), state);
  EXPECT_EQ(reopened->FindStream("b")->tags.at("i"), "299");
}

TEST(CatalogTest, OpenRemovesAStraySnapshotAndRejectsASnapshotWithoutLog) {
  MemFileSystem fs;
  {
    auto catalog = MustOpen(fs);
    ASSERT_TRUE(catalog->Apply(CreateStreamCmd{SampleStream("s", 1)}).ok());
  }
  ASSERT_TRUE((*fs.Create(kTmpPath))->Append("half a snapshot").ok());
  auto catalog = MustOpen(fs);
  EXPECT_EQ(catalog->streams().size(), 1u);
  EXPECT_FALSE(*fs.Exists(kTmpPath));
  catalog.reset();

  ASSERT_TRUE(fs.Rename(kLogPath, kTmpPath).ok());
  std::string message;
  EXPECT_EQ(OpenError(fs, &message), MetaErrc::kCorruption);
  EXPECT_NE(message.find("missing"), std::string::npos) << message;
}

TEST(CatalogTest, WorksOnThePosixFileSystem) {
  std::string pattern = (std::filesystem::temp_directory_path() / "shoal-meta-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  std::string dir = pattern + "/nested/meta";
  FileSystem& fs = DefaultFileSystem();
  CatalogOptions options{.compact_after_bytes = 1024};
  CatalogState state;
  {
    auto catalog = Catalog::Open(fs, dir, options);
    ASSERT_TRUE(catalog.ok()) << catalog.message();
    ApplyAll(**catalog, Script());
    state = StateOf(**catalog);
  }
  auto reopened = Catalog::Open(fs, dir, options);
  ASSERT_TRUE(reopened.ok()) << reopened.message();
  EXPECT_EQ(StateOf(**reopened), state);
  EXPECT_TRUE(fs.RemoveAll(pattern).ok());
}

}  // namespace
}  // namespace shoal::meta

namespace shoal::meta {
namespace {

// A log written by a version-1 binary (compacted, then appended to) opens; the new binary
// appends version-2 records after it, and both replay.
TEST(CatalogTest, OpensAVersionOneLogAndAppendsToIt) {
  auto v1 = [](std::string payload, bool strip_histories) {
    payload[0] = 1;
    // Two empty lists and an empty consumer map.
    if (strip_histories) payload.resize(payload.size() - 3);
    return payload;
  };
  StreamRecord r = testing::SampleStream("s", 4);
  r.consumers.clear();
  r.scaling_ops_ms.clear();
  r.mode_switches_ms.clear();
  r.status = StreamStatus::kActive;
  std::string log;
  AppendRecord(&log, RecordType::kSnapshotHeader, v1(EncodeSnapshotHeader({5, 1}), false));
  AppendRecord(&log, RecordType::kCommand, v1(EncodeCommand(CreateStreamCmd{r}), true));
  AppendRecord(&log, RecordType::kCommand, v1(EncodeCommand(SetRetentionCmd{"s", 4, 48}), false));
  MemFileSystem fs;
  testing::WriteLog(fs, log);
  {
    auto catalog = testing::MustOpen(fs);
    ASSERT_NE(catalog, nullptr);
    ASSERT_NE(catalog->FindStream("s"), nullptr);
    EXPECT_EQ(*catalog->FindStream("s"), r);
    EXPECT_EQ(catalog->last_revision(), 5u);
    ReshardCmd split;
    split.name = "s";
    split.revision = 4;
    split.closed = {2};
    split.closed_ms = 10;
    split.new_shards = {testing::SplitChild(4, uint128{1} << 100, (uint128{1} << 100) + 5, 1010, 2, {}),
                        testing::SplitChild(5, (uint128{1} << 100) + 6, (uint128{2} << 100) - 1,
                                            1010, 2, {})};
    split.next_shard_index = 6;
    split.status = StreamStatus::kUpdating;
    split.status_until_ms = 510;
    split.scaling_ops_ms = {10};
    ASSERT_TRUE(catalog->Apply(split).ok());
  }
  auto reopened = testing::MustOpen(fs);
  ASSERT_NE(reopened, nullptr);
  const StreamRecord* s = reopened->FindStream("s");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->shards.size(), 5u);
  EXPECT_EQ(s->scaling_ops_ms, std::vector<int64_t>{10});
  EXPECT_EQ(s->retention_hours, 48);
}

}  // namespace
}  // namespace shoal::meta
