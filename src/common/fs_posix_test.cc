// DefaultFileSystem() against the real disk, in a fresh mkdtemp directory.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "common/fs.h"

namespace shoal {
namespace {

class PosixFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "shoal-fs-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { EXPECT_TRUE(fs_.RemoveAll(dir_).ok()); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  FileSystem& fs_ = DefaultFileSystem();
  std::string dir_;
};

TEST_F(PosixFileSystemTest, AppendSyncReadAndReopen) {
  {
    auto file = fs_.OpenAppendable(Path("log"));
    ASSERT_TRUE(file.ok()) << file.message();
    EXPECT_EQ((*file)->Size(), 0u);
    ASSERT_TRUE((*file)->Append("hello ").ok());
    ASSERT_TRUE((*file)->Append(std::string(100000, 'x')).ok());
    ASSERT_TRUE((*file)->Sync().ok());
    EXPECT_EQ((*file)->Size(), 100006u);
    ASSERT_TRUE((*file)->Close().ok());
    EXPECT_EQ((*file)->Append("after close").code(), IoErrc::kIo);
  }
  ASSERT_TRUE(fs_.SyncDir(dir_).ok());
  auto file = fs_.OpenAppendable(Path("log"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->Size(), 100006u);
  ASSERT_TRUE((*file)->Append("!").ok());
  auto data = fs_.ReadAll(Path("log"));
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->size(), 100007u);
  EXPECT_EQ(data->substr(0, 6), "hello ");
  EXPECT_EQ(data->back(), '!');
}

TEST_F(PosixFileSystemTest, CreateTruncatesExistingFile) {
  ASSERT_TRUE((*fs_.OpenAppendable(Path("f")))->Append("old contents").ok());
  auto file = fs_.Create(Path("f"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->Size(), 0u);
  ASSERT_TRUE((*file)->Append("new").ok());
  EXPECT_EQ(*fs_.ReadAll(Path("f")), "new");
}

TEST_F(PosixFileSystemTest, ReservedFileWritesFromTheStartAndFinishTrims) {
  auto file = fs_.CreateReserved(Path("seg"), 1 << 20);
  ASSERT_TRUE(file.ok()) << file.message();
  EXPECT_EQ((*file)->Size(), 0u);
  ASSERT_TRUE((*file)->Append("hello").ok());
  ASSERT_TRUE((*file)->Sync().ok());
  EXPECT_EQ((*file)->Size(), 5u);
  auto data = fs_.ReadAll(Path("seg"));
  ASSERT_TRUE(data.ok());
  // ext4, xfs and tmpfs reserve; elsewhere the file is a plain one.
  if (data->size() != 5u) {
    EXPECT_EQ(data->size(), 1u << 20);
    EXPECT_EQ(data->substr(0, 5), "hello");
    EXPECT_EQ(data->find_first_not_of('\0', 5), std::string::npos);
  }
  ASSERT_TRUE((*file)->Append(" world").ok());
  ASSERT_TRUE((*file)->Finish().ok());
  EXPECT_EQ(*fs_.ReadAll(Path("seg")), "hello world");
  ASSERT_TRUE((*file)->Sync().ok());  // a sync may follow Finish()
  ASSERT_TRUE((*file)->Close().ok());
}

TEST_F(PosixFileSystemTest, PrivateFilesAreOwnerOnlyEvenWhenTheyExisted) {
  ASSERT_TRUE((*fs_.Create(Path("key")))->Append("old").ok());  // 0644 (before the umask)
  auto file = fs_.CreatePrivate(Path("key"));
  ASSERT_TRUE(file.ok()) << file.message();
  ASSERT_TRUE((*file)->Append("secret").ok());
  struct stat st;
  ASSERT_EQ(::stat(Path("key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(*fs_.ReadAll(Path("key")), "secret");
  ASSERT_TRUE(fs_.CreatePrivate(Path("new")).ok());
  ASSERT_EQ(::stat(Path("new").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(PosixFileSystemTest, RenameTruncateRemove) {
  ASSERT_TRUE((*fs_.OpenAppendable(Path("a")))->Append("abcdef").ok());
  ASSERT_TRUE(fs_.Rename(Path("a"), Path("b")).ok());
  EXPECT_FALSE(*fs_.Exists(Path("a")));
  ASSERT_TRUE(fs_.Truncate(Path("b"), 3).ok());
  EXPECT_EQ(*fs_.ReadAll(Path("b")), "abc");
  ASSERT_TRUE(fs_.Remove(Path("b")).ok());
  EXPECT_FALSE(*fs_.Exists(Path("b")));
}

TEST_F(PosixFileSystemTest, DirectoriesCreateListAndRemoveRecursively) {
  ASSERT_TRUE(fs_.CreateDirs(Path("x/y/z")).ok());
  ASSERT_TRUE(fs_.CreateDirs(Path("x/y/z")).ok());  // idempotent
  ASSERT_TRUE((*fs_.OpenAppendable(Path("x/b")))->Append("1").ok());
  ASSERT_TRUE((*fs_.OpenAppendable(Path("x/a")))->Append("2").ok());
  ASSERT_TRUE((*fs_.OpenAppendable(Path("x/y/z/deep")))->Append("3").ok());
  auto names = fs_.ListDir(Path("x"));
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b", "y"}));
  ASSERT_TRUE(fs_.SyncDir(Path("x")).ok());
  ASSERT_TRUE(fs_.RemoveAll(Path("x")).ok());
  EXPECT_FALSE(*fs_.Exists(Path("x")));
  EXPECT_TRUE(fs_.RemoveAll(Path("x")).ok());  // missing is fine
}

TEST_F(PosixFileSystemTest, ErrorsCarryCodePathAndErrnoText) {
  auto missing = fs_.ReadAll(Path("nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.code(), IoErrc::kNotFound);
  EXPECT_NE(missing.message().find(Path("nope")), std::string::npos) << missing.message();
  EXPECT_NE(missing.message().find("No such file"), std::string::npos) << missing.message();
  EXPECT_EQ(fs_.Remove(Path("nope")).code(), IoErrc::kNotFound);
  EXPECT_EQ(fs_.Rename(Path("nope"), Path("other")).code(), IoErrc::kNotFound);
  EXPECT_EQ(fs_.Truncate(Path("nope"), 0).code(), IoErrc::kNotFound);
  EXPECT_EQ(fs_.ListDir(Path("nope")).code(), IoErrc::kNotFound);
  EXPECT_EQ(fs_.SyncDir(Path("nope")).code(), IoErrc::kNotFound);
  EXPECT_EQ(fs_.OpenAppendable(Path("nope/f")).code(), IoErrc::kNotFound);
  ASSERT_TRUE((*fs_.OpenAppendable(Path("file")))->Append("x").ok());
  EXPECT_EQ(fs_.CreateDirs(Path("file")).code(), IoErrc::kAlreadyExists);
  EXPECT_EQ(fs_.CreateDirs(Path("file/sub")).code(), IoErrc::kAlreadyExists);
  EXPECT_EQ(fs_.ReadAll(dir_).code(), IoErrc::kIo);  // EISDIR
}

TEST_F(PosixFileSystemTest, RandomAccessPreadsAndKeepsRemovedFiles) {
  auto file = fs_.OpenAppendable(Path("ra"));
  ASSERT_TRUE(file.ok());
  std::string big(200000, 'x');
  big[150000] = 'y';
  ASSERT_TRUE((*file)->Append(big).ok());
  auto reader = fs_.OpenRandomAccess(Path("ra"));
  ASSERT_TRUE(reader.ok()) << reader.message();
  EXPECT_EQ(*(*reader)->Size(), 200000u);
  std::string buf(10, '\0');
  auto got = (*reader)->Read(149999, 3, buf.data());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(buf.substr(0, *got), "xyx");
  EXPECT_EQ(*(*reader)->Read(199995, 10, buf.data()), 5u);  // short at the end
  EXPECT_EQ(*(*reader)->Read(300000, 10, buf.data()), 0u);
  ASSERT_TRUE(fs_.Remove(Path("ra")).ok());
  EXPECT_EQ(*(*reader)->Read(150000, 1, buf.data()), 1u);
  EXPECT_EQ(buf[0], 'y');
  EXPECT_EQ(fs_.OpenRandomAccess(Path("ra")).code(), IoErrc::kNotFound);
}

}  // namespace
}  // namespace shoal

namespace shoal {
namespace {

TEST(PosixFileSystemLockTest, SecondLockOnTheSameFileIsBusy) {
  char tmpl[] = "/tmp/fs-lock-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/LOCK";
  FileSystem& fs = DefaultFileSystem();
  auto first = fs.LockFile(path);
  ASSERT_TRUE(first.ok()) << first.message();
  auto second = fs.LockFile(path);  // a second open file description conflicts with the first
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.code(), IoErrc::kBusy);
  first->reset();
  EXPECT_TRUE(fs.LockFile(path).ok());
  IgnoreError(fs.RemoveAll(tmpl));
}

}  // namespace
}  // namespace shoal
