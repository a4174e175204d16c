#pragma once
// The file-system seam. Everything that touches disk goes through FileSystem so tests can use
// MemFileSystem (in memory, with crash simulation) instead of the real disk.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace shoal {

enum class IoErrc {
  kNotFound,
  kAlreadyExists,
  kIo,
  kNoSpace,
  kBusy,  // a lock held by someone else
};
using IoStatus = Status<IoErrc>;
template <class T>
using IoResult = Result<T, IoErrc>;

// An append-only file handle. Not thread-safe: one writer at a time.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Buffers or writes `data` at the end of the file; not durable until Sync().
  virtual IoStatus Append(std::string_view data) = 0;
  // Makes everything appended so far durable (fdatasync).
  virtual IoStatus Sync() = 0;
  // Makes everything appended durable and gives back the space CreateReserved() set aside
  // past it: the file's length becomes Size(), durably (fsync). No Append() may follow;
  // Sync() may. On a file not created reserved, this is Sync().
  virtual IoStatus Finish() = 0;
  virtual IoStatus Close() = 0;
  // Bytes appended through this handle plus the size the file had when opened.
  virtual uint64_t Size() const = 0;
};

// A read-only handle for positional reads (pread). Thread-safe: concurrent Read() calls are
// fine. On POSIX the handle keeps reading a file that has since been removed or renamed.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to `n` bytes at `offset` into `scratch` (which must hold `n` bytes) and returns
  // how many were read: fewer than `n` only at the end of the file (0 at or past it).
  virtual IoResult<size_t> Read(uint64_t offset, size_t n, char* scratch) const = 0;
  // The file's current size.
  virtual IoResult<uint64_t> Size() const = 0;
};

// An exclusive lock on a file, held until the object is destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // Opens `path` for appending, creating it if missing; existing contents are kept.
  virtual IoResult<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& path) = 0;
  // Creates `path` empty (truncating an existing file).
  virtual IoResult<std::unique_ptr<WritableFile>> Create(const std::string& path) = 0;
  // Like Create(), but only the owner may read or write the file (mode 0600, even when it
  // existed with another mode): for secrets such as private keys.
  virtual IoResult<std::unique_ptr<WritableFile>> CreatePrivate(const std::string& path) = 0;
  // Creates `path` empty like Create() and sets `reserve_bytes` of disk aside for it
  // (fallocate): until Finish(), the file reads as its appended data followed by zeros up to
  // `reserve_bytes`, and a crash may leave it so. Appends then write into space already
  // allocated, so a Sync() after them need not change the file's length, which makes it
  // markedly cheaper (docs/design/storage.md has the numbers). Where the file system cannot
  // set space aside, this is Create().
  virtual IoResult<std::unique_ptr<WritableFile>> CreateReserved(const std::string& path,
                                                                 uint64_t reserve_bytes) = 0;
  virtual IoResult<std::string> ReadAll(const std::string& path) = 0;
  // Opens an existing file for positional reads; kNotFound if it is missing.
  virtual IoResult<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& path) = 0;
  virtual IoResult<bool> Exists(const std::string& path) = 0;
  virtual IoResult<std::vector<std::string>> ListDir(const std::string& dir) = 0;  // names only
  virtual IoStatus CreateDirs(const std::string& dir) = 0;
  virtual IoStatus Remove(const std::string& path) = 0;       // a file
  virtual IoStatus RemoveAll(const std::string& path) = 0;    // a directory tree
  virtual IoStatus Rename(const std::string& from, const std::string& to) = 0;
  virtual IoStatus Truncate(const std::string& path, uint64_t size) = 0;
  // Takes an exclusive lock on `path` (created if missing) without waiting: kBusy when
  // another holder (e.g. another process on the same data directory) has it.
  virtual IoResult<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
  // Makes directory entries (creates, renames, removes) in `dir` durable.
  virtual IoStatus SyncDir(const std::string& dir) = 0;
};

// The real file system (POSIX). Thread-safe.
FileSystem& DefaultFileSystem();

}  // namespace shoal
