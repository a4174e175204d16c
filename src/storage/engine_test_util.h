#pragma once
// Helpers for the engine tests: synchronous wrappers over the callback API and a file system
// whose syncs can be held back (to make group commit deterministic).

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/mem_fs.h"
#include "storage/log_engine.h"

namespace shoal::storage::testing {

struct Rec {
  std::string key;
  std::string data;
  bool operator==(const Rec&) const = default;
};

// Appends and waits for the callback (a future, not a sleep).
inline StorageResult<AppendResult> AppendWait(LogEngine& engine, ShardKey shard,
                                              const std::vector<Rec>& records,
                                              uint64_t min_counter = 0) {
  AppendRequest req{.shard = shard, .records = {}, .min_counter = min_counter};
  for (const Rec& r : records) req.records.push_back({r.key, r.data});
  std::promise<StorageResult<AppendResult>> done;
  auto future = done.get_future();
  engine.Append(std::move(req), [&](StorageResult<AppendResult> r) { done.set_value(std::move(r)); });
  return future.get();
}

struct ReadRec {
  uint64_t counter;
  int64_t arrival_ms;
  Rec rec;
};

// Reads everything durable from `from`, in pages of `page` records.
inline std::vector<ReadRec> ReadAllFrom(LogEngine& engine, ShardKey shard, uint64_t from = 0,
                                        size_t page = 1000) {
  std::vector<ReadRec> out;
  for (;;) {
    auto r = engine.Read(shard, from, page, 1 << 30);
    EXPECT_TRUE(r.ok()) << r.message();
    if (!r.ok() || r->records.empty()) break;
    for (const StoredRecord& s : r->records) {
      out.push_back({s.counter, s.arrival_ms, {std::string(s.partition_key), std::string(s.data)}});
    }
    from = r->next_counter;
  }
  return out;
}

// A MemFileSystem whose WritableFile::Sync() can be held at a gate: HoldSyncs() makes every
// later Sync() wait until ReleaseSyncs(); WaitForHeldSync() blocks until one is waiting.
class GatedFileSystem final : public FileSystem {
 public:
  explicit GatedFileSystem(MemFileSystem& base) : base_(base) {}

  void HoldSyncs() {
    std::lock_guard<std::mutex> l(mu_);
    hold_ = true;
  }
  void ReleaseSyncs() {
    std::lock_guard<std::mutex> l(mu_);
    hold_ = false;
    cv_.notify_all();
  }
  void WaitForHeldSync() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return waiting_ > 0; });
  }

  IoResult<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& p) override {
    return Wrap(base_.OpenAppendable(p));
  }
  IoResult<std::unique_ptr<WritableFile>> Create(const std::string& p) override {
    return Wrap(base_.Create(p));
  }
  IoResult<std::unique_ptr<WritableFile>> CreatePrivate(const std::string& p) override {
    return Wrap(base_.CreatePrivate(p));
  }
  IoResult<std::unique_ptr<WritableFile>> CreateReserved(const std::string& p,
                                                         uint64_t n) override {
    return Wrap(base_.CreateReserved(p, n));
  }
  IoResult<std::string> ReadAll(const std::string& p) override { return base_.ReadAll(p); }
  IoResult<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& p) override {
    return base_.OpenRandomAccess(p);
  }
  IoResult<bool> Exists(const std::string& p) override { return base_.Exists(p); }
  IoResult<std::vector<std::string>> ListDir(const std::string& d) override { return base_.ListDir(d); }
  IoStatus CreateDirs(const std::string& d) override { return base_.CreateDirs(d); }
  IoStatus Remove(const std::string& p) override { return base_.Remove(p); }
  IoStatus RemoveAll(const std::string& p) override { return base_.RemoveAll(p); }
  IoStatus Rename(const std::string& a, const std::string& b) override { return base_.Rename(a, b); }
  IoStatus Truncate(const std::string& p, uint64_t n) override { return base_.Truncate(p, n); }
  IoStatus SyncDir(const std::string& d) override { return base_.SyncDir(d); }
  IoResult<std::unique_ptr<FileLock>> LockFile(const std::string& p) override {
    return base_.LockFile(p);
  }

 private:
  class File final : public WritableFile {
   public:
    File(GatedFileSystem* fs, std::unique_ptr<WritableFile> f) : fs_(fs), f_(std::move(f)) {}
    IoStatus Append(std::string_view d) override { return f_->Append(d); }
    IoStatus Sync() override {
      Gate();
      return f_->Sync();
    }
    IoStatus Finish() override {
      Gate();
      return f_->Finish();
    }
    IoStatus Close() override { return f_->Close(); }
    uint64_t Size() const override { return f_->Size(); }

   private:
    void Gate() {
      std::unique_lock<std::mutex> l(fs_->mu_);
      ++fs_->waiting_;
      fs_->cv_.notify_all();
      fs_->cv_.wait(l, [&] { return !fs_->hold_; });
      --fs_->waiting_;
    }

    GatedFileSystem* fs_;
    std::unique_ptr<WritableFile> f_;
  };

  IoResult<std::unique_ptr<WritableFile>> Wrap(IoResult<std::unique_ptr<WritableFile>> f) {
    if (!f.ok()) return f;
    return std::unique_ptr<WritableFile>(std::make_unique<File>(this, std::move(f).value()));
  }

  MemFileSystem& base_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool hold_ = false;
  int waiting_ = 0;
};

}  // namespace shoal::storage::testing
