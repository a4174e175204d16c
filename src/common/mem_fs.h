#pragma once
// MemFileSystem: an in-memory FileSystem for tests, with crash simulation, fault injection
// and counters. Thread-safe: one mutex guards all state, including writes through handles.
//
// The crash model (what SimulateCrash() keeps):
//   * File contents. Each file (an "inode") has its written contents and its durable
//     contents; WritableFile::Sync() copies the first to the second. Writes, truncations and
//     Create()'s truncation are all "written" until a Sync() of a handle on that file.
//   * Directory entries. The name -> file mapping has a current and a durable version per
//     directory; SyncDir(dir) makes the current entries of `dir` (its direct children)
//     durable. So a file created, renamed or removed since its directory's last SyncDir()
//     reverts at a crash: a new file vanishes, a renamed file goes back to its old name, a
//     removed file comes back (with its durable contents).
//   * What survives of unsynced state is chosen per crash (CrashOptions): by default nothing
//     (the strict model, what tests of "acknowledged means durable" want); keeping unsynced
//     data models the OS having flushed some pages on its own, and combined with
//     TornNextAppend() produces torn tails.
//   * Simplifications, kept on purpose: directories themselves (CreateDirs, RemoveAll) are
//     durable at once; a file's unsynced data is kept or dropped as a whole (partial
//     persistence is modelled by a torn append, never by scattered pages); handles opened
//     before a crash fail with kIo afterwards (the process that owned them is gone).
//   * Read handles (OpenRandomAccess) see the written contents, keep reading a file after it
//     is removed or renamed (as a POSIX descriptor does) and fail after a crash.
//
// Paths are compared as text: use one spelling per file (no "..", "//", or "./" prefixes).
// "/", "" and "." always exist as directories.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "common/fs.h"

namespace shoal {

// What MemFileSystem::SimulateCrash() keeps of the state that was never made durable.
struct MemCrashOptions {
  bool keep_unsynced_data = false;         // file contents written but not synced
  bool keep_unsynced_dir_entries = false;  // creates/renames/removes not SyncDir'ed
};

class MemFileSystem final : public FileSystem {
 public:
  MemFileSystem();
  ~MemFileSystem() override;
  MemFileSystem(const MemFileSystem&) = delete;
  MemFileSystem& operator=(const MemFileSystem&) = delete;

  // FileSystem. Handles returned here must not outlive the MemFileSystem.
  IoResult<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& path) override;
  IoResult<std::unique_ptr<WritableFile>> Create(const std::string& path) override;
  // Marks the inode private (see IsPrivate); otherwise Create().
  IoResult<std::unique_ptr<WritableFile>> CreatePrivate(const std::string& path) override;
  // The file reads as its data followed by zeros up to `reserve_bytes` until Finish(); like
  // every change to a file, the zeros are durable only after a Sync() (or Finish()).
  IoResult<std::unique_ptr<WritableFile>> CreateReserved(const std::string& path,
                                                         uint64_t reserve_bytes) override;
  IoResult<std::string> ReadAll(const std::string& path) override;
  IoResult<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& path) override;
  IoResult<bool> Exists(const std::string& path) override;
  IoResult<std::vector<std::string>> ListDir(const std::string& dir) override;  // sorted
  IoStatus CreateDirs(const std::string& dir) override;
  IoStatus Remove(const std::string& path) override;
  IoStatus RemoveAll(const std::string& path) override;  // a missing path is fine
  IoStatus Rename(const std::string& from, const std::string& to) override;  // files only
  IoStatus Truncate(const std::string& path, uint64_t size) override;
  IoStatus SyncDir(const std::string& dir) override;
  // Locks are kept in memory and are not affected by SimulateCrash (a crash ends the process
  // that held them, and the test releases them by destroying the handles).
  IoResult<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;

  // ---- Crash simulation ----
  using CrashOptions = MemCrashOptions;
  // Reverts the file system to what a power loss right now could leave (see the model
  // above), invalidates every open handle and clears all injected faults.
  void SimulateCrash(CrashOptions options = {});

  // ---- Fault injection (each fault stays armed until it fires, ClearFaults() or a crash) ----
  // Appends may write `n` more bytes in total: the Append() that crosses the budget writes
  // the bytes that fit and fails with kNoSpace, and so does every later Append().
  void FailAfterBytes(uint64_t n);
  // The next WritableFile::Sync() fails with kIo. By default it makes nothing durable; with
  // kDataDurable it does make the data durable before failing (a disk that wrote the pages
  // but reported an error, as Linux fsync can), which only a caller that undoes its write
  // durably can tell apart.
  enum class FailedSync { kNothingDurable, kDataDurable };
  void FailNextSync(FailedSync effect = FailedSync::kNothingDurable);
  // The next Append() writes only its first `keep` bytes (all of them if shorter) and fails
  // with kIo: a torn write.
  void TornNextAppend(uint64_t keep);
  // Kills the "process" after `n` more mutating operations (OpenAppendable, Create, Append,
  // Sync, Finish, CreateDirs, Remove, RemoveAll, Rename, Truncate, SyncDir): from then on every
  // mutating operation fails with kIo and changes nothing, until SimulateCrash() or
  // ClearFaults(). Reads keep working. Combine with TornNextAppend() to die mid-write.
  void FreezeAfterOps(uint64_t n);
  void ClearFaults();

  // ---- Counters and inspection ----
  uint64_t syncs() const;           // successful WritableFile::Sync() calls
  uint64_t dir_syncs() const;       // successful SyncDir() calls
  uint64_t mutating_ops() const;    // mutating operations attempted (see FreezeAfterOps)
  uint64_t bytes_appended() const;  // bytes that reached files through Append()
  bool frozen() const;              // FreezeAfterOps() has fired
  // True if the file was last created through CreatePrivate() (what mode 0600 means here).
  bool IsPrivate(const std::string& path) const;
  // The file's contents as the strict crash model would keep them right now.
  IoResult<std::string> ReadDurable(const std::string& path) const;

 private:
  class File;
  class ReadFile;
  struct Contents;
  struct Inode;
  using Namespace = std::map<std::string, std::shared_ptr<Inode>>;

  // All REQUIRE: mu_ held.
  IoStatus CheckMutationLocked(std::string_view op, const std::string& path);
  bool DirExistsLocked(const std::string& dir) const;
  IoStatus CheckParentLocked(std::string_view op, const std::string& path) const;
  IoResult<std::unique_ptr<WritableFile>> OpenLocked(std::string_view op, const std::string& path,
                                                     bool truncate, uint64_t reserve = 0);
  // Writes `data` at `offset` (the end of the data, or inside a reservation).
  IoStatus WriteLocked(Inode& inode, uint64_t offset, std::string_view data, uint64_t* written);

  mutable std::mutex mu_;
  Namespace files_;             // GUARDED_BY(mu_): current directory entries
  Namespace durable_files_;     // GUARDED_BY(mu_): entries as of each directory's last SyncDir
  std::set<std::string> dirs_;  // GUARDED_BY(mu_)
  std::set<std::string> locks_;  // GUARDED_BY(mu_): paths locked through LockFile()
  uint64_t epoch_ = 0;          // GUARDED_BY(mu_): bumped by each crash; stales handles

  std::optional<uint64_t> byte_budget_;       // GUARDED_BY(mu_)
  std::optional<FailedSync> fail_next_sync_;  // GUARDED_BY(mu_)
  std::optional<uint64_t> torn_keep_;         // GUARDED_BY(mu_)
  std::optional<uint64_t> ops_until_freeze_;  // GUARDED_BY(mu_)

  uint64_t syncs_ = 0;           // GUARDED_BY(mu_)
  uint64_t dir_syncs_ = 0;       // GUARDED_BY(mu_)
  uint64_t mutating_ops_ = 0;    // GUARDED_BY(mu_)
  uint64_t bytes_appended_ = 0;  // GUARDED_BY(mu_)
};

}  // namespace shoal
