// The POSIX FileSystem: DefaultFileSystem() in common/fs.h.
//
// Every call maps straight onto one or a few system calls; nothing is cached or buffered, so
// WritableFile::Append() is a write(2) and Sync() an fdatasync(2). Errors carry the
// operation, the path and the errno text.

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>

#include "common/fs.h"

namespace shoal {
namespace {

IoErrc ErrcFromErrno(int err) {
  switch (err) {
    case ENOENT:
      return IoErrc::kNotFound;
    case EEXIST:
      return IoErrc::kAlreadyExists;
    case ENOSPC:
    case EDQUOT:
      return IoErrc::kNoSpace;
    default:
      return IoErrc::kIo;
  }
}

IoStatus ErrnoStatus(std::string_view op, std::string_view path, int err) {
  std::string message(op);
  message.append(" ").append(path).append(": ").append(std::system_category().message(err));
  return IoStatus(ErrcFromErrno(err), std::move(message));
}

// Retries `call` while it fails with EINTR; returns its last result.
template <class F>
auto RetryOnEintr(F call) {
  decltype(call()) rc;
  do {
    rc = call();
  } while (rc == -1 && errno == EINTR);
  return rc;
}

// Holds an flock(2) on an open descriptor; closing it releases the lock.
class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { ::close(fd_); }

 private:
  int fd_;
};


class PosixWritableFile final : public WritableFile {
 public:
  // Takes ownership of `fd`, an open descriptor for `path` whose file had `size` bytes;
  // `reserved`: the file was created empty and fallocated, and `fd` writes from offset 0.
  PosixWritableFile(std::string path, int fd, uint64_t size, bool reserved = false)
      : path_(std::move(path)), fd_(fd), size_(size), reserved_(reserved) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  IoStatus Append(std::string_view data) override {
    if (fd_ < 0) return IoStatus(IoErrc::kIo, "write " + path_ + ": file is closed");
    while (!data.empty()) {
      ssize_t n = RetryOnEintr([&] { return ::write(fd_, data.data(), data.size()); });
      if (n < 0) return ErrnoStatus("write", path_, errno);
      size_ += static_cast<uint64_t>(n);  // a partial write still reached the file
      data.remove_prefix(static_cast<size_t>(n));
    }
    return IoStatus::Ok();
  }

  IoStatus Sync() override {
    if (fd_ < 0) return IoStatus(IoErrc::kIo, "fdatasync " + path_ + ": file is closed");
    if (RetryOnEintr([&] { return ::fdatasync(fd_); }) != 0) {
      return ErrnoStatus("fdatasync", path_, errno);
    }
    return IoStatus::Ok();
  }

  IoStatus Finish() override {
    if (!reserved_) return Sync();
    if (fd_ < 0) return IoStatus(IoErrc::kIo, "fsync " + path_ + ": file is closed");
    if (RetryOnEintr([&] { return ::ftruncate(fd_, static_cast<off_t>(size_)); }) != 0) {
      return ErrnoStatus("ftruncate", path_, errno);
    }
    if (RetryOnEintr([&] { return ::fsync(fd_); }) != 0) return ErrnoStatus("fsync", path_, errno);
    reserved_ = false;
    return IoStatus::Ok();
  }

  IoStatus Close() override {
    if (fd_ < 0) return IoStatus::Ok();
    int fd = fd_;
    fd_ = -1;
    // Not retried on EINTR: Linux releases the descriptor whatever close() returns.
    if (::close(fd) != 0) return ErrnoStatus("close", path_, errno);
    return IoStatus::Ok();
  }

  uint64_t Size() const override { return size_; }

 private:
  const std::string path_;
  int fd_;
  uint64_t size_;
  bool reserved_;  // the file's length may exceed size_ (zeros) until Finish()
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  // Takes ownership of `fd`, opened read-only on `path`.
  PosixRandomAccessFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  IoResult<size_t> Read(uint64_t offset, size_t n, char* scratch) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t got = RetryOnEintr([&] {
        return ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
      });
      if (got < 0) return ErrnoStatus("pread", path_, errno);
      if (got == 0) break;  // end of file
      done += static_cast<size_t>(got);
    }
    return done;
  }

  IoResult<uint64_t> Size() const override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return ErrnoStatus("fstat", path_, errno);
    return static_cast<uint64_t>(st.st_size);
  }

 private:
  const std::string path_;
  const int fd_;
};

// How PosixFileSystem opens a file for writing, beyond the open flags.
struct WriteOptions {
  bool owner_only = false;     // mode 0600, even for a file that existed with another mode
  uint64_t reserve_bytes = 0;  // with O_TRUNC: fallocate this much (CreateReserved)
};

class PosixFileSystem final : public FileSystem {
 public:
  IoResult<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& path) override {
    return OpenForWrite(path, O_APPEND);
  }

  IoResult<std::unique_ptr<WritableFile>> Create(const std::string& path) override {
    return OpenForWrite(path, O_TRUNC);
  }

  IoResult<std::unique_ptr<WritableFile>> CreatePrivate(const std::string& path) override {
    return OpenForWrite(path, O_TRUNC, {.owner_only = true});
  }

  IoResult<std::unique_ptr<WritableFile>> CreateReserved(const std::string& path,
                                                         uint64_t reserve_bytes) override {
    return OpenForWrite(path, O_TRUNC, {.reserve_bytes = reserve_bytes});
  }

  IoResult<std::string> ReadAll(const std::string& path) override {
    int fd = RetryOnEintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
    if (fd < 0) return ErrnoStatus("open", path, errno);
    std::string out;
    struct stat st;
    if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
    char buf[64 * 1024];
    for (;;) {
      ssize_t n = RetryOnEintr([&] { return ::read(fd, buf, sizeof(buf)); });
      if (n < 0) {
        IoStatus status = ErrnoStatus("read", path, errno);
        ::close(fd);
        return status;
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
  }

  IoResult<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& path) override {
    int fd = RetryOnEintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
    if (fd < 0) return ErrnoStatus("open", path, errno);
    return std::unique_ptr<RandomAccessFile>(std::make_unique<PosixRandomAccessFile>(path, fd));
  }

  IoResult<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    int fd = RetryOnEintr([&] { return ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644); });
    if (fd < 0) return ErrnoStatus("open", path, errno);
    if (RetryOnEintr([&] { return ::flock(fd, LOCK_EX | LOCK_NB); }) != 0) {
      int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) return IoStatus(IoErrc::kBusy, "lock " + path + ": held by another process");
      return ErrnoStatus("flock", path, err);
    }
    return std::unique_ptr<FileLock>(std::make_unique<PosixFileLock>(fd));
  }

  IoResult<bool> Exists(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return ErrnoStatus("stat", path, errno);
  }

  // Names come back sorted, without "." and "..".
  IoResult<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return ErrnoStatus("opendir", dir, errno);
    std::vector<std::string> names;
    for (;;) {
      errno = 0;
      struct dirent* entry = ::readdir(d);
      if (entry == nullptr) break;
      std::string_view name(entry->d_name);
      if (name != "." && name != "..") names.emplace_back(name);
    }
    int err = errno;
    ::closedir(d);
    if (err != 0) return ErrnoStatus("readdir", dir, err);
    std::sort(names.begin(), names.end());
    return names;
  }

  // mkdir -p: creates each missing component; an existing directory is fine.
  IoStatus CreateDirs(const std::string& dir) override {
    for (size_t pos = 0; pos != std::string::npos;) {
      pos = dir.find('/', pos + 1);
      std::string prefix = dir.substr(0, pos);
      if (prefix.empty() || prefix == "/") continue;
      if (::mkdir(prefix.c_str(), 0755) == 0) continue;
      int err = errno;
      struct stat st;
      if (err == EEXIST && ::stat(prefix.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
      if (err == EEXIST)
        return IoStatus(IoErrc::kAlreadyExists, "mkdir " + prefix + ": not a directory");
      return ErrnoStatus("mkdir", prefix, err);
    }
    return IoStatus::Ok();
  }

  IoStatus Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus("unlink", path, errno);
    return IoStatus::Ok();
  }

  // rm -rf: symlinks are removed, never followed; a missing path is fine.
  IoStatus RemoveAll(const std::string& path) override {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec) return ErrnoStatus("remove_all", path, ec.value());
    return IoStatus::Ok();
  }

  IoStatus Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return ErrnoStatus("rename", from + " -> " + to, errno);
    }
    return IoStatus::Ok();
  }

  IoStatus Truncate(const std::string& path, uint64_t size) override {
    if (RetryOnEintr([&] { return ::truncate(path.c_str(), static_cast<off_t>(size)); }) != 0) {
      return ErrnoStatus("truncate", path, errno);
    }
    return IoStatus::Ok();
  }

  IoStatus SyncDir(const std::string& dir) override {
    int fd = RetryOnEintr([&] { return ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
    if (fd < 0) return ErrnoStatus("open", dir, errno);
    IoStatus status;
    if (RetryOnEintr([&] { return ::fsync(fd); }) != 0) status = ErrnoStatus("fsync", dir, errno);
    ::close(fd);
    return status;
  }

 private:
  // `extra` is O_APPEND (keep contents, always write at the end) or O_TRUNC (start empty).
  static IoResult<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path, int extra,
                                                               WriteOptions options = {}) {
    const mode_t mode = options.owner_only ? 0600 : 0644;
    int fd = RetryOnEintr(
        [&] { return ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | extra, mode); });
    if (fd < 0) return ErrnoStatus("open", path, errno);
    auto fail = [&](std::string_view op) {
      IoStatus status = ErrnoStatus(op, path, errno);
      ::close(fd);
      return status;
    };
    // open() applies the mode only to a new file: an existing one keeps its own.
    if (options.owner_only && ::fchmod(fd, mode) != 0) return fail("fchmod");
    struct stat st;
    if (::fstat(fd, &st) != 0) return fail("fstat");
    // Reserved: not O_APPEND, so writes start at 0 inside the reserved length.
    bool reserved = options.reserve_bytes > 0 &&
                    RetryOnEintr([&] {
                      return ::fallocate(fd, 0, 0, static_cast<off_t>(options.reserve_bytes));
                    }) == 0;
    // Without a reservation (EOPNOTSUPP, ENOSPC...) the file is a plain one; a failed
    // fallocate may have set part of the space aside, so give it back.
    if (!reserved && options.reserve_bytes > 0 && ::ftruncate(fd, 0) != 0) return fail("ftruncate");
    return std::unique_ptr<WritableFile>(std::make_unique<PosixWritableFile>(
        path, fd, static_cast<uint64_t>(st.st_size), reserved));
  }
};

}  // namespace

FileSystem& DefaultFileSystem() {
  static PosixFileSystem* fs = new PosixFileSystem();  // never destroyed: usable at exit
  return *fs;
}

}  // namespace shoal
