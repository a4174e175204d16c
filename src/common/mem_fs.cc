#include "common/mem_fs.h"

#include <algorithm>

namespace shoal {
namespace {

// "/a/b" -> "/a"; "/a" -> "/"; "a" -> "" (the relative root).
std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Drops trailing slashes, keeping "/" itself.
std::string NormalizeDir(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

// True if `path` is `root` or lies below it.
bool IsUnder(const std::string& path, const std::string& root) {
  if (path == root) return true;
  std::string prefix = root == "/" ? root : root + "/";
  return path.compare(0, prefix.size(), prefix) == 0;
}

IoStatus Error(IoErrc code, std::string_view op, std::string_view path, std::string_view why) {
  std::string message(op);
  message.append(" ").append(path).append(": ").append(why);
  return IoStatus(code, std::move(message));
}

}  // namespace

// A file's bytes: `bytes`, then zeros up to `length` (a reservation or a truncation that grew
// the file costs no memory). Invariant: bytes.size() <= length.
struct MemFileSystem::Contents {
  std::string bytes;
  uint64_t length = 0;

  void Resize(uint64_t n) {
    if (bytes.size() > n) bytes.resize(n);
    length = n;
  }
  void Write(uint64_t offset, std::string_view data) {
    if (bytes.size() < offset + data.size()) bytes.resize(offset + data.size(), '\0');
    bytes.replace(offset, data.size(), data);
    length = std::max<uint64_t>(length, offset + data.size());
  }
  // Copies up to `n` bytes at `offset` into `out`; returns how many (0 at or past the end).
  size_t Read(uint64_t offset, size_t n, char* out) const {
    if (offset >= length) return 0;
    size_t got = std::min<uint64_t>(n, length - offset);
    size_t from_bytes = offset >= bytes.size() ? 0 : std::min<uint64_t>(got, bytes.size() - offset);
    if (from_bytes > 0) bytes.copy(out, from_bytes, offset);
    std::fill(out + from_bytes, out + got, '\0');
    return got;
  }
  std::string All() const {
    std::string out = bytes;
    out.resize(length, '\0');
    return out;
  }
};

struct MemFileSystem::Inode {
  Contents data;         // as written
  Contents durable;      // as of the last Sync()
  bool private_ = false;  // created through CreatePrivate()
};

// A handle on one inode. It keeps writing to that inode after a rename, as a POSIX
// descriptor does, and fails once the file system has crashed since it was opened.
class MemFileSystem::File final : public WritableFile {
 public:
  // `reserved`: the inode was created empty with a reservation; writes go at size_, not at
  // the end of the inode's data.
  File(MemFileSystem* fs, std::string path, std::shared_ptr<Inode> inode, uint64_t epoch,
       bool reserved)
      : fs_(fs),
        path_(std::move(path)),
        inode_(std::move(inode)),
        epoch_(epoch),
        size_(reserved ? 0 : inode_->data.length),
        reserved_(reserved) {}

  IoStatus Append(std::string_view data) override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    SHOAL_RETURN_IF_ERROR(CheckUsableLocked("write"));
    SHOAL_RETURN_IF_ERROR(fs_->CheckMutationLocked("write", path_));
    uint64_t written = 0;
    uint64_t offset = reserved_ ? size_ : inode_->data.length;
    IoStatus status = fs_->WriteLocked(*inode_, offset, data, &written);
    size_ += written;
    if (!status.ok()) return Error(status.code(), "write", path_, status.message());
    return status;
  }

  IoStatus Sync() override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    SHOAL_RETURN_IF_ERROR(CheckUsableLocked("fdatasync"));
    SHOAL_RETURN_IF_ERROR(fs_->CheckMutationLocked("fdatasync", path_));
    return SyncLocked("fdatasync");
  }

  // One mutating operation (ftruncate + fsync), like Sync() for the fault injection.
  IoStatus Finish() override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    SHOAL_RETURN_IF_ERROR(CheckUsableLocked("fsync"));
    SHOAL_RETURN_IF_ERROR(fs_->CheckMutationLocked("fsync", path_));
    if (reserved_) {
      inode_->data.Resize(size_);
      reserved_ = false;
    }
    return SyncLocked("fsync");
  }

  IoStatus Close() override {
    closed_ = true;
    return IoStatus::Ok();
  }

  uint64_t Size() const override { return size_; }

 private:
  // Makes the written contents durable, or fails as FailNextSync() asked.
  // REQUIRES: fs_->mu_ held; the handle checked usable and the mutation counted.
  IoStatus SyncLocked(std::string_view op) {
    if (fs_->fail_next_sync_.has_value()) {
      if (*fs_->fail_next_sync_ == FailedSync::kDataDurable) inode_->durable = inode_->data;
      fs_->fail_next_sync_.reset();
      return Error(IoErrc::kIo, op, path_, "injected sync failure");
    }
    inode_->durable = inode_->data;
    ++fs_->syncs_;
    return IoStatus::Ok();
  }

  // REQUIRES: fs_->mu_ held.
  IoStatus CheckUsableLocked(std::string_view op) const {
    if (closed_) return Error(IoErrc::kIo, op, path_, "file is closed");
    if (epoch_ != fs_->epoch_) return Error(IoErrc::kIo, op, path_, "stale handle (crashed)");
    return IoStatus::Ok();
  }

  MemFileSystem* const fs_;
  const std::string path_;
  const std::shared_ptr<Inode> inode_;
  const uint64_t epoch_;
  uint64_t size_;
  bool reserved_;
  bool closed_ = false;
};

// A read handle on one inode; see the crash model in the header.
class MemFileSystem::ReadFile final : public RandomAccessFile {
 public:
  ReadFile(MemFileSystem* fs, std::string path, std::shared_ptr<Inode> inode, uint64_t epoch)
      : fs_(fs), path_(std::move(path)), inode_(std::move(inode)), epoch_(epoch) {}

  IoResult<size_t> Read(uint64_t offset, size_t n, char* scratch) const override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    if (epoch_ != fs_->epoch_) return Error(IoErrc::kIo, "pread", path_, "stale handle (crashed)");
    return inode_->data.Read(offset, n, scratch);
  }

  IoResult<uint64_t> Size() const override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    if (epoch_ != fs_->epoch_) return Error(IoErrc::kIo, "fstat", path_, "stale handle (crashed)");
    return inode_->data.length;
  }

 private:
  MemFileSystem* const fs_;
  const std::string path_;
  const std::shared_ptr<Inode> inode_;
  const uint64_t epoch_;
};

MemFileSystem::MemFileSystem() = default;
MemFileSystem::~MemFileSystem() = default;

IoStatus MemFileSystem::CheckMutationLocked(std::string_view op, const std::string& path) {
  ++mutating_ops_;
  if (ops_until_freeze_.has_value()) {
    if (*ops_until_freeze_ == 0) return Error(IoErrc::kIo, op, path, "frozen (simulated death)");
    --*ops_until_freeze_;
  }
  return IoStatus::Ok();
}

bool MemFileSystem::DirExistsLocked(const std::string& dir) const {
  return dir.empty() || dir == "/" || dir == "." || dirs_.count(dir) > 0;
}

IoStatus MemFileSystem::CheckParentLocked(std::string_view op, const std::string& path) const {
  if (dirs_.count(NormalizeDir(path)) > 0) return Error(IoErrc::kIo, op, path, "is a directory");
  if (!DirExistsLocked(Parent(path)))
    return Error(IoErrc::kNotFound, op, path, "no such directory");
  return IoStatus::Ok();
}

IoResult<std::unique_ptr<WritableFile>> MemFileSystem::OpenLocked(std::string_view op,
                                                                  const std::string& path,
                                                                  bool truncate,
                                                                  uint64_t reserve) {
  SHOAL_RETURN_IF_ERROR(CheckMutationLocked(op, path));
  SHOAL_RETURN_IF_ERROR(CheckParentLocked(op, path));
  std::shared_ptr<Inode>& inode = files_[path];
  if (inode == nullptr) {
    inode = std::make_shared<Inode>();
  } else if (truncate) {
    inode->data.Resize(0);
    inode->private_ = false;
  }
  if (reserve > 0) inode->data.Resize(reserve);
  return std::unique_ptr<WritableFile>(
      std::make_unique<File>(this, path, inode, epoch_, /*reserved=*/reserve > 0));
}

IoStatus MemFileSystem::WriteLocked(Inode& inode, uint64_t offset, std::string_view data,
                                    uint64_t* written) {
  uint64_t n = data.size();
  IoStatus status;
  if (torn_keep_.has_value()) {
    n = std::min(n, *torn_keep_);
    torn_keep_.reset();
    status = IoStatus(IoErrc::kIo, "injected torn write");
  }
  if (byte_budget_.has_value()) {
    if (n > *byte_budget_) {
      n = *byte_budget_;
      status = IoStatus(IoErrc::kNoSpace, "injected: no space left");
    }
    *byte_budget_ -= n;
  }
  inode.data.Write(offset, data.substr(0, n));
  bytes_appended_ += n;
  *written = n;
  return status;
}

IoResult<std::unique_ptr<WritableFile>> MemFileSystem::OpenAppendable(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  return OpenLocked("open", path, /*truncate=*/false);
}

IoResult<std::unique_ptr<WritableFile>> MemFileSystem::Create(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  return OpenLocked("create", path, /*truncate=*/true);
}

IoResult<std::unique_ptr<WritableFile>> MemFileSystem::CreatePrivate(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto file = OpenLocked("create", path, /*truncate=*/true);
  if (file.ok()) files_[path]->private_ = true;
  return file;
}

bool MemFileSystem::IsPrivate(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  return it != files_.end() && it->second->private_;
}

IoResult<std::unique_ptr<WritableFile>> MemFileSystem::CreateReserved(const std::string& path,
                                                                      uint64_t reserve_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  return OpenLocked("create", path, /*truncate=*/true, reserve_bytes);
}

IoResult<std::string> MemFileSystem::ReadAll(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it != files_.end()) return it->second->data.All();
  if (dirs_.count(NormalizeDir(path)) > 0)
    return Error(IoErrc::kIo, "read", path, "is a directory");
  return Error(IoErrc::kNotFound, "open", path, "no such file");
}

IoResult<std::unique_ptr<RandomAccessFile>> MemFileSystem::OpenRandomAccess(
    const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) {
    if (dirs_.count(NormalizeDir(path)) > 0)
      return Error(IoErrc::kIo, "open", path, "is a directory");
    return Error(IoErrc::kNotFound, "open", path, "no such file");
  }
  return std::unique_ptr<RandomAccessFile>(
      std::make_unique<ReadFile>(this, path, it->second, epoch_));
}

IoResult<bool> MemFileSystem::Exists(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  return files_.count(path) > 0 || DirExistsLocked(NormalizeDir(path));
}

IoResult<std::vector<std::string>> MemFileSystem::ListDir(const std::string& dir_in) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string dir = NormalizeDir(dir_in);
  if (!DirExistsLocked(dir)) return Error(IoErrc::kNotFound, "opendir", dir, "no such directory");
  std::set<std::string> names;
  for (const auto& [path, inode] : files_) {
    if (Parent(path) == dir) names.insert(Basename(path));
  }
  for (const std::string& sub : dirs_) {
    if (Parent(sub) == dir) names.insert(Basename(sub));
  }
  return std::vector<std::string>(names.begin(), names.end());
}

IoStatus MemFileSystem::CreateDirs(const std::string& dir_in) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string dir = NormalizeDir(dir_in);
  SHOAL_RETURN_IF_ERROR(CheckMutationLocked("mkdir", dir));
  for (size_t pos = 0; pos != std::string::npos;) {
    pos = dir.find('/', pos + 1);
    std::string prefix = dir.substr(0, pos);
    if (prefix.empty() || prefix == "/") continue;
    if (files_.count(prefix) > 0) {
      return Error(IoErrc::kAlreadyExists, "mkdir", prefix, "not a directory");
    }
    dirs_.insert(prefix);
  }
  return IoStatus::Ok();
}

IoStatus MemFileSystem::Remove(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  SHOAL_RETURN_IF_ERROR(CheckMutationLocked("unlink", path));
  if (files_.erase(path) == 0) return Error(IoErrc::kNotFound, "unlink", path, "no such file");
  return IoStatus::Ok();
}

IoStatus MemFileSystem::RemoveAll(const std::string& path_in) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string root = NormalizeDir(path_in);
  SHOAL_RETURN_IF_ERROR(CheckMutationLocked("remove_all", root));
  auto under = [&](const auto& entry) { return IsUnder(entry.first, root); };
  std::erase_if(files_, under);
  std::erase_if(durable_files_, under);
  std::erase_if(dirs_, [&](const std::string& dir) { return IsUnder(dir, root); });
  return IoStatus::Ok();
}

IoStatus MemFileSystem::Rename(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string what = from + " -> " + to;
  SHOAL_RETURN_IF_ERROR(CheckMutationLocked("rename", what));
  auto it = files_.find(from);
  if (it == files_.end()) return Error(IoErrc::kNotFound, "rename", what, "no such file");
  SHOAL_RETURN_IF_ERROR(CheckParentLocked("rename", to));
  if (from == to) return IoStatus::Ok();
  std::shared_ptr<Inode> inode = it->second;
  files_.erase(it);
  files_[to] = std::move(inode);
  return IoStatus::Ok();
}

IoStatus MemFileSystem::Truncate(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  SHOAL_RETURN_IF_ERROR(CheckMutationLocked("truncate", path));
  auto it = files_.find(path);
  if (it == files_.end()) return Error(IoErrc::kNotFound, "truncate", path, "no such file");
  it->second->data.Resize(size);
  return IoStatus::Ok();
}

namespace {

// Releases a MemFileSystem lock when destroyed.
class MemFileLock final : public FileLock {
 public:
  MemFileLock(std::mutex& mu, std::set<std::string>& locks, std::string path)
      : mu_(mu), locks_(locks), path_(std::move(path)) {}
  ~MemFileLock() override {
    std::lock_guard<std::mutex> lock(mu_);
    locks_.erase(path_);
  }

 private:
  std::mutex& mu_;
  std::set<std::string>& locks_;
  std::string path_;
};

}  // namespace

IoResult<std::unique_ptr<FileLock>> MemFileSystem::LockFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!locks_.insert(path).second) return Error(IoErrc::kBusy, "lock", path, "already locked");
  return std::unique_ptr<FileLock>(std::make_unique<MemFileLock>(mu_, locks_, path));
}

IoStatus MemFileSystem::SyncDir(const std::string& dir_in) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string dir = NormalizeDir(dir_in);
  SHOAL_RETURN_IF_ERROR(CheckMutationLocked("fsync", dir));
  if (!DirExistsLocked(dir)) return Error(IoErrc::kNotFound, "open", dir, "no such directory");
  std::erase_if(durable_files_, [&](const auto& entry) { return Parent(entry.first) == dir; });
  for (const auto& [path, inode] : files_) {
    if (Parent(path) == dir) durable_files_[path] = inode;
  }
  ++dir_syncs_;
  return IoStatus::Ok();
}

void MemFileSystem::SimulateCrash(CrashOptions options) {
  std::lock_guard<std::mutex> lock(mu_);
  if (options.keep_unsynced_dir_entries) {
    durable_files_ = files_;
  } else {
    files_ = durable_files_;
  }
  for (auto& [path, inode] : files_) {
    if (options.keep_unsynced_data) {
      inode->durable = inode->data;
    } else {
      inode->data = inode->durable;
    }
  }
  ++epoch_;
  byte_budget_.reset();
  fail_next_sync_.reset();
  torn_keep_.reset();
  ops_until_freeze_.reset();
}

void MemFileSystem::FailAfterBytes(uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  byte_budget_ = n;
}

void MemFileSystem::FailNextSync(FailedSync effect) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_sync_ = effect;
}

void MemFileSystem::TornNextAppend(uint64_t keep) {
  std::lock_guard<std::mutex> lock(mu_);
  torn_keep_ = keep;
}

void MemFileSystem::FreezeAfterOps(uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  ops_until_freeze_ = n;
}

void MemFileSystem::ClearFaults() {
  std::lock_guard<std::mutex> lock(mu_);
  byte_budget_.reset();
  fail_next_sync_.reset();
  torn_keep_.reset();
  ops_until_freeze_.reset();
}

uint64_t MemFileSystem::syncs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return syncs_;
}

uint64_t MemFileSystem::dir_syncs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dir_syncs_;
}

uint64_t MemFileSystem::mutating_ops() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mutating_ops_;
}

uint64_t MemFileSystem::bytes_appended() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_appended_;
}

bool MemFileSystem::frozen() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ops_until_freeze_.has_value() && *ops_until_freeze_ == 0;
}

IoResult<std::string> MemFileSystem::ReadDurable(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = durable_files_.find(path);
  if (it == durable_files_.end()) return Error(IoErrc::kNotFound, "open", path, "no such file");
  return it->second->durable.All();
}

}  // namespace shoal
