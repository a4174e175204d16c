#include "common/mem_fs.h"

#include <gtest/gtest.h>

#include <thread>

namespace shoal {
namespace {

std::unique_ptr<WritableFile> MustOpen(FileSystem& fs, const std::string& path) {
  auto file = fs.OpenAppendable(path);
  EXPECT_TRUE(file.ok()) << file.message();
  return std::move(file).value();
}

std::string MustRead(FileSystem& fs, const std::string& path) {
  auto data = fs.ReadAll(path);
  EXPECT_TRUE(data.ok()) << data.message();
  return data.ok() ? *data : std::string();
}

class MemFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fs_.CreateDirs("/d").ok()); }
  MemFileSystem fs_;
};

TEST_F(MemFileSystemTest, AppendReadAndSize) {
  auto file = MustOpen(fs_, "/d/f");
  ASSERT_TRUE(file->Append("abc").ok());
  ASSERT_TRUE(file->Append("de").ok());
  EXPECT_EQ(file->Size(), 5u);
  EXPECT_EQ(MustRead(fs_, "/d/f"), "abcde");
  auto again = MustOpen(fs_, "/d/f");
  EXPECT_EQ(again->Size(), 5u);
  auto created = fs_.Create("/d/f");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ((*created)->Size(), 0u);
  EXPECT_EQ(MustRead(fs_, "/d/f"), "");
}

TEST_F(MemFileSystemTest, MissingThingsAreNotFound) {
  EXPECT_EQ(fs_.ReadAll("/d/none").code(), IoErrc::kNotFound);
  EXPECT_EQ(fs_.Remove("/d/none").code(), IoErrc::kNotFound);
  EXPECT_EQ(fs_.Rename("/d/none", "/d/x").code(), IoErrc::kNotFound);
  EXPECT_EQ(fs_.Truncate("/d/none", 0).code(), IoErrc::kNotFound);
  EXPECT_EQ(fs_.OpenAppendable("/nodir/f").code(), IoErrc::kNotFound);
  EXPECT_EQ(fs_.ListDir("/nodir").code(), IoErrc::kNotFound);
  EXPECT_TRUE(fs_.RemoveAll("/nodir").ok());
  EXPECT_FALSE(*fs_.Exists("/d/none"));
  EXPECT_TRUE(*fs_.Exists("/d"));
}

TEST_F(MemFileSystemTest, ListDirShowsFilesAndSubdirsSorted) {
  ASSERT_TRUE(fs_.CreateDirs("/d/sub/deeper").ok());
  MustOpen(fs_, "/d/b");
  MustOpen(fs_, "/d/a");
  MustOpen(fs_, "/d/sub/c");
  auto names = fs_.ListDir("/d/");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b", "sub"}));
  ASSERT_TRUE(fs_.RemoveAll("/d/sub").ok());
  EXPECT_EQ(*fs_.ListDir("/d"), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(*fs_.Exists("/d/sub/c"));
}

TEST_F(MemFileSystemTest, TruncateShrinksAndExtendsWithZeros) {
  auto file = MustOpen(fs_, "/d/f");
  ASSERT_TRUE(file->Append("hello").ok());
  ASSERT_TRUE(fs_.Truncate("/d/f", 2).ok());
  EXPECT_EQ(MustRead(fs_, "/d/f"), "he");
  ASSERT_TRUE(fs_.Truncate("/d/f", 4).ok());
  EXPECT_EQ(MustRead(fs_, "/d/f"), std::string("he\0\0", 4));
}

TEST_F(MemFileSystemTest, ReservedFileReadsAsDataThenZerosUntilFinish) {
  auto file = fs_.CreateReserved("/d/f", 8);
  ASSERT_TRUE(file.ok()) << file.message();
  EXPECT_EQ((*file)->Size(), 0u);
  EXPECT_EQ(MustRead(fs_, "/d/f"), std::string(8, '\0'));
  ASSERT_TRUE((*file)->Append("abc").ok());
  ASSERT_TRUE((*file)->Append("de").ok());
  EXPECT_EQ((*file)->Size(), 5u);
  EXPECT_EQ(MustRead(fs_, "/d/f"), std::string("abcde\0\0\0", 8));
  auto reader = fs_.OpenRandomAccess("/d/f");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(*(*reader)->Size(), 8u);
  char buf[8];
  ASSERT_EQ(*(*reader)->Read(3, 8, buf), 5u);
  EXPECT_EQ(std::string(buf, 5), std::string("de\0\0\0", 5));
  ASSERT_TRUE((*file)->Append("fghij").ok());  // past the reservation: the file grows
  EXPECT_EQ(MustRead(fs_, "/d/f"), "abcdefghij");
  ASSERT_TRUE((*file)->Finish().ok());
  EXPECT_EQ(MustRead(fs_, "/d/f"), "abcdefghij");
  EXPECT_EQ(fs_.syncs(), 1u);
}

TEST_F(MemFileSystemTest, FinishGivesTheReservationBackDurably) {
  auto file = std::move(fs_.CreateReserved("/d/f", 1 << 20)).value();
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  ASSERT_TRUE(file->Append("data").ok());
  ASSERT_TRUE(file->Sync().ok());
  EXPECT_EQ(fs_.ReadDurable("/d/f")->size(), 1u << 20);  // a crash now leaves the zeros
  ASSERT_TRUE(file->Finish().ok());
  fs_.SimulateCrash();
  EXPECT_EQ(MustRead(fs_, "/d/f"), "data");
}

TEST_F(MemFileSystemTest, UnsyncedReservationIsLostAtACrash) {
  ASSERT_TRUE(fs_.CreateReserved("/d/f", 100).ok());
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  fs_.SimulateCrash();
  EXPECT_EQ(MustRead(fs_, "/d/f"), "");
}

TEST_F(MemFileSystemTest, PrivateFilesStayPrivateAcrossRenameUntilRecreated) {
  ASSERT_TRUE((*fs_.CreatePrivate("/d/key.tmp"))->Append("secret").ok());
  EXPECT_TRUE(fs_.IsPrivate("/d/key.tmp"));
  ASSERT_TRUE(fs_.Rename("/d/key.tmp", "/d/key").ok());
  EXPECT_TRUE(fs_.IsPrivate("/d/key"));
  EXPECT_EQ(MustRead(fs_, "/d/key"), "secret");
  ASSERT_TRUE(fs_.Create("/d/key").ok());
  EXPECT_FALSE(fs_.IsPrivate("/d/key"));
  EXPECT_FALSE(fs_.IsPrivate("/d/none"));
}

TEST_F(MemFileSystemTest, CrashDropsUnsyncedDataAndUnsyncedEntries) {
  auto file = MustOpen(fs_, "/d/f");
  ASSERT_TRUE(file->Append("durable").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  ASSERT_TRUE(file->Append("+lost").ok());
  MustOpen(fs_, "/d/new");  // entry never synced
  EXPECT_EQ(*fs_.ReadDurable("/d/f"), "durable");

  fs_.SimulateCrash();
  EXPECT_EQ(MustRead(fs_, "/d/f"), "durable");
  EXPECT_FALSE(*fs_.Exists("/d/new"));
  EXPECT_EQ(file->Append("x").code(), IoErrc::kIo);  // stale handle
  EXPECT_EQ(fs_.syncs(), 1u);
  EXPECT_EQ(fs_.dir_syncs(), 1u);
}

TEST_F(MemFileSystemTest, SyncedFileWithoutDirSyncVanishes) {
  auto file = MustOpen(fs_, "/d/f");
  ASSERT_TRUE(file->Append("data").ok());
  ASSERT_TRUE(file->Sync().ok());
  fs_.SimulateCrash();
  EXPECT_FALSE(*fs_.Exists("/d/f"));
}

TEST_F(MemFileSystemTest, CrashCanKeepUnsyncedDataAndEntries) {
  auto file = MustOpen(fs_, "/d/f");
  ASSERT_TRUE(file->Append("kept").ok());
  fs_.SimulateCrash({.keep_unsynced_data = true, .keep_unsynced_dir_entries = true});
  EXPECT_EQ(MustRead(fs_, "/d/f"), "kept");
  fs_.SimulateCrash();  // now durable
  EXPECT_EQ(MustRead(fs_, "/d/f"), "kept");
}

TEST_F(MemFileSystemTest, UnsyncedRenameAndRemoveRevert) {
  for (const char* name : {"/d/old", "/d/gone"}) {
    auto file = MustOpen(fs_, name);
    ASSERT_TRUE(file->Append(name).ok());
    ASSERT_TRUE(file->Sync().ok());
  }
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  ASSERT_TRUE(fs_.Rename("/d/old", "/d/new").ok());
  ASSERT_TRUE(fs_.Remove("/d/gone").ok());
  EXPECT_EQ(MustRead(fs_, "/d/new"), "/d/old");
  fs_.SimulateCrash();
  EXPECT_EQ(MustRead(fs_, "/d/old"), "/d/old");
  EXPECT_EQ(MustRead(fs_, "/d/gone"), "/d/gone");
  EXPECT_FALSE(*fs_.Exists("/d/new"));

  ASSERT_TRUE(fs_.Rename("/d/old", "/d/new").ok());
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  fs_.SimulateCrash();
  EXPECT_FALSE(*fs_.Exists("/d/old"));
  EXPECT_EQ(MustRead(fs_, "/d/new"), "/d/old");
}

TEST_F(MemFileSystemTest, HandleFollowsItsFileAcrossRename) {
  auto file = MustOpen(fs_, "/d/tmp");
  ASSERT_TRUE(file->Append("a").ok());
  ASSERT_TRUE(fs_.Rename("/d/tmp", "/d/final").ok());
  ASSERT_TRUE(file->Append("b").ok());
  EXPECT_EQ(MustRead(fs_, "/d/final"), "ab");
}

TEST_F(MemFileSystemTest, FailAfterBytesWritesWhatFits) {
  auto file = MustOpen(fs_, "/d/f");
  fs_.FailAfterBytes(5);
  ASSERT_TRUE(file->Append("abc").ok());
  auto status = file->Append("defg");
  EXPECT_EQ(status.code(), IoErrc::kNoSpace);
  EXPECT_NE(status.message().find("/d/f"), std::string::npos) << status.message();
  EXPECT_EQ(file->Append("h").code(), IoErrc::kNoSpace);
  EXPECT_EQ(MustRead(fs_, "/d/f"), "abcde");
  EXPECT_EQ(file->Size(), 5u);
  fs_.ClearFaults();
  EXPECT_TRUE(file->Append("z").ok());
  EXPECT_EQ(fs_.bytes_appended(), 6u);
}

TEST_F(MemFileSystemTest, FailNextSyncFailsOnceAndKeepsNothing) {
  auto file = MustOpen(fs_, "/d/f");
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  ASSERT_TRUE(file->Append("x").ok());
  fs_.FailNextSync();
  EXPECT_EQ(file->Sync().code(), IoErrc::kIo);
  EXPECT_EQ(*fs_.ReadDurable("/d/f"), "");
  EXPECT_TRUE(file->Sync().ok());
  EXPECT_EQ(*fs_.ReadDurable("/d/f"), "x");
  EXPECT_EQ(fs_.syncs(), 1u);
}

TEST_F(MemFileSystemTest, FailedSyncCanStillMakeDataDurable) {
  auto file = MustOpen(fs_, "/d/f");
  ASSERT_TRUE(file->Append("x").ok());
  fs_.FailNextSync(MemFileSystem::FailedSync::kDataDurable);
  EXPECT_EQ(file->Sync().code(), IoErrc::kIo);
  EXPECT_EQ(fs_.syncs(), 0u);
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  fs_.SimulateCrash();
  EXPECT_EQ(MustRead(fs_, "/d/f"), "x");
}

TEST_F(MemFileSystemTest, TornAppendKeepsPrefix) {
  auto file = MustOpen(fs_, "/d/f");
  fs_.TornNextAppend(2);
  EXPECT_EQ(file->Append("abcd").code(), IoErrc::kIo);
  EXPECT_EQ(MustRead(fs_, "/d/f"), "ab");
  EXPECT_EQ(file->Size(), 2u);
  EXPECT_TRUE(file->Append("cd").ok());  // one-shot
  EXPECT_EQ(MustRead(fs_, "/d/f"), "abcd");
}

TEST_F(MemFileSystemTest, FreezeStopsAllMutationsUntilCrash) {
  auto file = MustOpen(fs_, "/d/f");
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  uint64_t before = fs_.mutating_ops();
  fs_.FreezeAfterOps(2);
  EXPECT_FALSE(fs_.frozen());
  ASSERT_TRUE(file->Append("a").ok());
  ASSERT_TRUE(file->Sync().ok());
  EXPECT_TRUE(fs_.frozen());
  EXPECT_EQ(file->Append("b").code(), IoErrc::kIo);
  EXPECT_EQ(fs_.Rename("/d/f", "/d/g").code(), IoErrc::kIo);
  EXPECT_EQ(fs_.Create("/d/h").code(), IoErrc::kIo);
  EXPECT_EQ(MustRead(fs_, "/d/f"), "a");  // reads still work
  EXPECT_EQ(fs_.mutating_ops() - before, 5u);
  fs_.SimulateCrash();
  EXPECT_FALSE(fs_.frozen());
  EXPECT_EQ(MustRead(fs_, "/d/f"), "a");
  EXPECT_TRUE(fs_.Create("/d/h").ok());
}

TEST_F(MemFileSystemTest, TornAppendThenFreezeLeavesTornTailAfterKeepingCrash) {
  auto file = MustOpen(fs_, "/d/f");
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  ASSERT_TRUE(file->Append("whole").ok());
  ASSERT_TRUE(file->Sync().ok());
  fs_.FreezeAfterOps(1);
  fs_.TornNextAppend(3);
  EXPECT_FALSE(file->Append("record").ok());
  EXPECT_FALSE(fs_.Truncate("/d/f", 5).ok());
  fs_.SimulateCrash({.keep_unsynced_data = true});
  EXPECT_EQ(MustRead(fs_, "/d/f"), "wholerec");
}

TEST_F(MemFileSystemTest, ConcurrentWritersOnSeparateFiles) {
  constexpr int kThreads = 4;
  constexpr int kAppends = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      auto file = MustOpen(fs_, "/d/f" + std::to_string(t));
      for (int i = 0; i < kAppends; ++i) {
        EXPECT_TRUE(file->Append("x").ok());
        if (i % 50 == 0) {
          EXPECT_TRUE(file->Sync().ok());
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(MustRead(fs_, "/d/f" + std::to_string(t)).size(), size_t{kAppends});
  }
  EXPECT_EQ(fs_.bytes_appended(), uint64_t{kThreads * kAppends});
}

TEST_F(MemFileSystemTest, RandomAccessReadsAtOffsetsAndSurvivesRemove) {
  auto file = MustOpen(fs_, "/d/f");
  ASSERT_TRUE(file->Append("0123456789").ok());
  auto reader = fs_.OpenRandomAccess("/d/f");
  ASSERT_TRUE(reader.ok()) << reader.message();
  char buf[16];
  auto got = (*reader)->Read(3, 4, buf);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::string(buf, *got), "3456");
  got = (*reader)->Read(8, 10, buf);  // short at the end of the file
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::string(buf, *got), "89");
  EXPECT_EQ(*(*reader)->Read(10, 4, buf), 0u);
  EXPECT_EQ(*(*reader)->Read(99, 4, buf), 0u);
  ASSERT_TRUE(file->Append("ab").ok());  // later appends are visible
  EXPECT_EQ(*(*reader)->Size(), 12u);
  ASSERT_TRUE(fs_.Remove("/d/f").ok());  // a removed file stays readable through the handle
  got = (*reader)->Read(10, 2, buf);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::string(buf, *got), "ab");
  EXPECT_EQ(fs_.OpenRandomAccess("/d/f").code(), IoErrc::kNotFound);
  EXPECT_EQ(fs_.OpenRandomAccess("/d").code(), IoErrc::kIo);
}

TEST_F(MemFileSystemTest, RandomAccessHandlesGoStaleAtACrash) {
  auto file = MustOpen(fs_, "/d/f");
  ASSERT_TRUE(file->Append("abc").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  auto reader = fs_.OpenRandomAccess("/d/f");
  ASSERT_TRUE(reader.ok());
  fs_.SimulateCrash();
  char buf[4];
  EXPECT_EQ((*reader)->Read(0, 3, buf).code(), IoErrc::kIo);
  EXPECT_EQ((*reader)->Size().code(), IoErrc::kIo);
  auto again = fs_.OpenRandomAccess("/d/f");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*(*again)->Read(0, 4, buf), 3u);
}

}  // namespace
}  // namespace shoal

namespace shoal {
namespace {

TEST(MemFileSystemLockTest, ExclusiveUntilReleased) {
  MemFileSystem fs;
  auto first = fs.LockFile("/d/LOCK");
  ASSERT_TRUE(first.ok());
  auto second = fs.LockFile("/d/LOCK");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.code(), IoErrc::kBusy);
  first->reset();
  EXPECT_TRUE(fs.LockFile("/d/LOCK").ok());
}

}  // namespace
}  // namespace shoal
