#pragma once
// SharedLogEngine: the embedded LogEngine. Every shard's batches go into one shared,
// append-only log of segment files (docs/design/storage.md says why, with the numbers);
// each shard has a sparse in-memory index (ShardIndex) into it.
//
// Threads. Append() only queues the request and returns. Group commit (LevelDB-simple) runs
// as a pipeline of two stages, each run by one thread at a time:
//   * write: take a group of queued requests (up to max_group_bytes, so a small write never
//     waits behind a huge build), assign counters, build one buffer holding one batch per
//     shard in the group and write() it (the flushed position);
//   * sync: take every group written since the last sync, fdatasync once for all of them
//     (kSync; the durable position) and run their callbacks, in order.
// Two worker threads share the stages (WorkerLoop): a worker that has written a group syncs it
// itself when no sync runs, so a lone append costs no thread hand-off, and while one sync runs
// the other worker writes the next groups, so a slow sync makes the next one cover more: the
// sync batch adapts to the disk. Readers (Read, SeekTime, Positions) and
// maintenance (Trim, DropStream) run on the caller's thread: they take mu_ briefly to copy
// index entries and do their file I/O (pread, unlink) outside it.
//
// Files. <dir>/log/<segment id, 20 digits>.seg are the segments; <dir>/dropped lists dropped
// stream revisions (format: docs/formats/shard-log.md). Idle shards own no file and no thread;
// read handles are opened on demand and capped by an LRU (max_open_files).
//
// Locking order: drop_mu_ before mu_ before files_mu_; no I/O happens under mu_.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "storage/batch_format.h"
#include "storage/log_engine.h"
#include "storage/shard_index.h"

namespace shoal::storage {

struct ShardKeyHash {
  size_t operator()(const ShardKey& k) const {
    return std::hash<uint64_t>()(k.stream_revision * 0x9e3779b97f4a7c15ull ^ k.shard_index);
  }
};

// One shard's state. Fields marked "writer" are changed only by the write stage (and by
// recovery before it starts), always under mu_, so the write stage reads them without the lock.
struct ShardLog {
  ShardLog(ShardKey k, uint32_t interval_bytes) : key(k), index(interval_bytes) {}
  const ShardKey key;
  uint64_t next_counter = 1;   // writer: appended position
  int64_t last_arrival_ms = 0; // writer: of the last batch planned
  LogPos last_pos = 0;         // writer: of the last batch planned (the next one's prev_pos)
  uint64_t flushed_next = 1;   // GUARDED_BY(mu_)
  uint64_t durable_next = 1;   // GUARDED_BY(mu_)
  int64_t durable_arrival_ms = 0;  // GUARDED_BY(mu_)
  ShardIndex index;            // GUARDED_BY(mu_): flushed batches
  bool dropped = false;        // GUARDED_BY(mu_): DropStream took it out of the table

  // REQUIRES: mu_ held.
  uint64_t FirstCounter() const { return index.empty() ? flushed_next : index.first_counter(); }
};

class SharedLogEngine final : public LogEngine {
 public:
  SharedLogEngine(FileSystem& fs, Clock& clock, EngineOptions options);
  ~SharedLogEngine() override;
  SharedLogEngine(const SharedLogEngine&) = delete;
  SharedLogEngine& operator=(const SharedLogEngine&) = delete;

  // Recovers the log in options.dir and starts the worker threads. Call once, before anything
  // else.
  StorageStatus Open();

  void Append(AppendRequest request, AppendCallback done) override;
  StorageResult<ReadResult> Read(ShardKey shard, uint64_t from, size_t max_records,
                                 size_t max_bytes) override;
  StorageResult<uint64_t> SeekTime(ShardKey shard, int64_t at_ms) override;
  StorageResult<ShardPositions> Positions(ShardKey shard) override;
  StorageStatus Trim(ShardKey shard, int64_t cutoff_ms) override;
  StorageStatus DropStream(uint64_t stream_revision) override;
  void Seal(ShardKey shard, std::function<void()> done) override;
  void SetDurableListener(std::function<void(ShardKey)> listener) override;
  void Stop() override;
  EngineStats Stats() override;

 private:
  // A queued append, or a seal marker (`seal`: no records; `sealed` runs instead of `done`)
  // that passes through the pipeline behind every append accepted before it.
  struct Pending {
    AppendRequest request;
    AppendCallback done;
    bool seal = false;
    std::function<void()> sealed;
  };
  struct SegmentInfo {
    uint64_t refs = 0;    // shards whose index references the segment
    bool sealed = false;  // no longer written; deleted once refs drops to 0
  };
  struct PlannedBatch {
    std::shared_ptr<ShardLog> shard;
    BatchHeader header;
    LogPos pos = 0;
    std::vector<size_t> requests;  // indexes into the group, in order
  };
  struct Plan {
    std::vector<PlannedBatch> batches;
    std::vector<uint64_t> first_counters;   // per request of the group
    std::vector<int64_t> arrivals;          // per request
    std::vector<StorageStatus> errors;      // per request; ok() if planned
    uint64_t bytes = 0;                     // of all batches
    uint64_t roll_from = 0;                 // segment to seal first (0: none)
    uint64_t new_segment = 0;               // segment to create first (0: none)
  };

  // A group on its way through the pipeline: written, then synced.
  struct Group {
    std::vector<Pending> requests;
    Plan plan;
    std::shared_ptr<WritableFile> file;  // the segment the group was written to
    StorageStatus failure;               // set: the group failed; its callbacks get this
  };

  // ---- write path (shared_log_engine.cc) ----
  void WorkerLoop();
  // The two stages, run without mu_ (they take it to publish).
  void WriteAndPublish(Group& group);
  void SyncAndComplete(std::vector<std::unique_ptr<Group>>& batch);
  // REQUIRES: mu_ held.
  void PopGroupLocked(std::vector<Pending>* group);
  void PlanGroupLocked(const std::vector<Pending>& group, Plan* plan);
  std::shared_ptr<ShardLog>& ShardLocked(ShardKey key);
  // Without mu_: file I/O.
  StorageStatus PrepareSegment(const Plan& plan);
  StorageStatus WriteGroup(const Group& group);
  void PublishLocked(const Plan& plan, bool flushed, bool durable);
  void Complete(Group& group);
  // REQUIRES: mu_ held. Drops a reference; returns true if the segment file should go.
  bool ReleaseSegmentLocked(uint64_t segment);
  StorageStatus RemoveSegments(const std::vector<uint64_t>& segments);

  // ---- read path (shared_log_read.cc) ----
  using FilePtr = std::shared_ptr<RandomAccessFile>;
  StorageResult<FilePtr> ReadFile(uint64_t segment);
  void ForgetReadFile(uint64_t segment);
  // The headers of the entry's batches, oldest first, from its prev-link chain. Headers come
  // from `extent` (the entry's whole byte range, already read) when it is not null, else from
  // `file` one pread each.
  StorageStatus WalkEntry(const IndexEntry& entry, const RandomAccessFile& file,
                          const char* extent, std::vector<std::pair<LogPos, BatchHeader>>* out);
  // One attempt at Read(); kNotFound-like races with Trim report *retry.
  StorageResult<ReadResult> ReadOnce(ShardKey shard, uint64_t from, size_t max_records,
                                     size_t max_bytes, bool* retry);

  // ---- recovery (shared_log_recovery.cc) ----
  StorageStatus LoadDropped();
  StorageStatus PersistDropped(const std::set<uint64_t>& dropped);
  StorageStatus RecoverSegment(uint64_t segment, bool last);
  StorageStatus ApplyRecovered(const BatchHeader& header, LogPos pos);

  std::string SegmentPath(uint64_t segment) const;
  std::string LogDir() const { return options_.dir + "/log"; }
  std::string DroppedPath() const { return options_.dir + "/dropped"; }
  StorageStatus Corruption(uint64_t segment, uint64_t offset, const std::string& why) const;

  FileSystem& fs_;
  Clock& clock_;
  const EngineOptions options_;

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<Pending> queue_;                        // GUARDED_BY(mu_)
  bool stopping_ = false;                            // GUARDED_BY(mu_)
  bool stopped_ = false;                             // GUARDED_BY(mu_)
  StorageStatus failed_;                             // GUARDED_BY(mu_): sticky write error
  std::deque<std::unique_ptr<Group>> written_;       // GUARDED_BY(mu_): awaiting a sync
  bool writing_ = false;                             // GUARDED_BY(mu_): a worker runs the write stage
  bool syncing_ = false;                             // GUARDED_BY(mu_): a worker runs the sync stage
  bool sync_failed_ = false;                         // GUARDED_BY(mu_): an fdatasync failed
  std::unordered_map<ShardKey, std::shared_ptr<ShardLog>, ShardKeyHash> shards_;  // GUARDED_BY(mu_)
  std::map<uint64_t, SegmentInfo> segments_;         // GUARDED_BY(mu_)
  std::set<uint64_t> dropped_;                       // GUARDED_BY(mu_)
  // Sealed shards: false while the seal marker is in the pipeline, true once it completed.
  std::unordered_map<ShardKey, bool, ShardKeyHash> sealed_;  // GUARDED_BY(mu_)
  std::function<void(ShardKey)> durable_listener_;  // set before appends; read-only after
  uint64_t last_segment_ = 0;                        // GUARDED_BY(mu_): highest id used
  EngineStats stats_;                                // GUARDED_BY(mu_)

  // Write stage only (whoever set writing_; mu_ hands them from one worker to the other).
  uint64_t active_segment_ = 0;  // 0: none yet (created on the first append)
  uint64_t active_size_ = 0;
  std::shared_ptr<WritableFile> active_;  // shared with the groups awaiting a sync
  std::string buffer_;  // the group being built, reused
  std::thread workers_[2];

  std::mutex drop_mu_;  // serialises DropStream's file rewrites

  std::mutex files_mu_;
  std::list<uint64_t> lru_;  // GUARDED_BY(files_mu_): most recent first
  std::unordered_map<uint64_t, std::pair<FilePtr, std::list<uint64_t>::iterator>>
      read_files_;  // GUARDED_BY(files_mu_)
};

}  // namespace shoal::storage
