#pragma once
// The shard log engine: durable, ordered, append-only logs of records, one per shard.
// Knows nothing of HTTP or Kinesis wire names: a shard is (stream revision, shard index), a
// record is (partition key, data) plus what the engine assigns on append (a per-shard
// counter, increasing by one per record, and the arrival time).
//
// Positions per shard (style A4): appended ≥ flushed ≥ durable. Reads return records up to
// the durable position only, so a reader never sees a record that a crash could take back.
// An append completes (its callback runs) once its records are durable under the engine's
// durability policy.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/fs.h"
#include "common/status.h"

namespace shoal::storage {

enum class StorageErrc {
  kIo,          // the file system failed; for appends: the records are not acknowledged
  kCorruption,  // damaged data that is not a torn tail (reported, never skipped)
  kClosed,      // the engine is stopping
  kInvalid,     // a request the engine cannot honour (e.g. batch larger than a segment)
  kSealed,      // an append to a shard that Seal() closed: nothing was written
};
template <class T>
using StorageResult = Result<T, StorageErrc>;
using StorageStatus = Status<StorageErrc>;

// A shard's log. The stream revision keeps the logs of a deleted stream and of a later
// stream with the same name apart.
struct ShardKey {
  uint64_t stream_revision = 0;
  uint32_t shard_index = 0;
  auto operator<=>(const ShardKey&) const = default;
};

// What a writer hands in; the views must stay valid until the callback runs.
struct RecordView {
  std::string_view partition_key;
  std::string_view data;
};

struct AppendRequest {
  ShardKey shard;
  std::vector<RecordView> records;  // 1..N records, appended together, in order
  // The first record's counter is at least this (SequenceNumberForOrdering). Counters start
  // at 1 in a new shard (0 stands for "before the first record").
  uint64_t min_counter = 0;
};

struct AppendResult {
  uint64_t first_counter = 0;  // record i got first_counter + i
  int64_t arrival_ms = 0;      // the same for every record of the request
};
// Runs exactly once, on an engine thread (inline in Append() once the engine is stopped);
// must not block. It may call Append() or Read(), never Stop().
using AppendCallback = std::function<void(StorageResult<AppendResult>)>;

struct StoredRecord {
  uint64_t counter = 0;
  int64_t arrival_ms = 0;
  std::string_view partition_key;  // valid while the ReadResult lives
  std::string_view data;
};

struct ReadResult {
  std::vector<StoredRecord> records;  // increasing counters
  // Where the next read continues: past the last record returned, or `from` when none.
  uint64_t next_counter = 0;
  // Keeps the memory behind the views alive.
  std::shared_ptr<const void> pin;
};

struct ShardPositions {
  uint64_t first_counter = 0;    // oldest record still stored (== next when empty)
  uint64_t next_counter = 1;     // counter the next appended record gets
  uint64_t durable_next = 1;     // records with counter < durable_next are durable
  uint64_t flushed_next = 1;     // records with counter < flushed_next are written (A4);
                                 // durable_next <= flushed_next <= next_counter
  int64_t last_arrival_ms = 0;   // arrival time of the newest durable record (0 if none)
  // Seal() was called and every append accepted before it has completed: the shard's log is
  // final (durable_next == next_counter, and no record will ever be added).
  bool sealed = false;
};

enum class Durability {
  kSync,   // acknowledge after fdatasync: survives a machine crash (the default)
  kFlush,  // acknowledge after write(): survives a process crash, not a power loss
};

struct EngineOptions {
  std::string dir;  // the engine's root directory (e.g. <data-dir>/streams)
  Durability durability = Durability::kSync;
  // A segment is rolled once the next group would take it past this size (min 1, max 1 GiB;
  // a group larger than this gets a segment of its own).
  uint64_t segment_bytes = 128 * 1024 * 1024;
  // Group commit: the writer takes queued appends up to this many bytes of records into one
  // write (a larger single append is a group of its own); one sync covers every group written
  // while the previous sync ran. Min 1, max 1 GiB.
  uint64_t max_group_bytes = 1024 * 1024;
  // The sparse index keeps one entry per this many bytes of a shard's batches (min 1).
  uint32_t index_interval_bytes = 32 * 1024;
  // Read handles kept open (LRU); the writer holds one more. Min 1.
  size_t max_open_files = 64;
  // The largest single append (records' keys, data and framing); larger ones fail kInvalid.
  // Max 1 GiB.
  uint64_t max_append_bytes = 64 * 1024 * 1024;
};

// Counters for benchmarks and metrics; a snapshot, all totals since open.
struct EngineStats {
  uint64_t appends = 0;        // requests completed successfully
  uint64_t records = 0;        // records in them
  uint64_t groups = 0;         // group commits written
  uint64_t syncs = 0;          // fdatasyncs of the log
  uint64_t bytes_written = 0;  // framed bytes written to the log
  uint64_t shards = 0;         // shards with state in memory
  uint64_t index_entries = 0;  // sparse index entries over all shards
  uint64_t memory_bytes = 0;   // estimate of the engine's own memory (shards and indexes)
  uint64_t segments = 0;       // segment files kept
  uint64_t open_read_files = 0;
};

class LogEngine {
 public:
  virtual ~LogEngine() = default;

  // Appends the records as one batch to the shard's log (creating the log on first use).
  virtual void Append(AppendRequest request, AppendCallback done) = 0;

  // Durable records with counter >= from, in order, at most max_records and at most
  // max_bytes of partition key + data (always at least one record if any is available).
  virtual StorageResult<ReadResult> Read(ShardKey shard, uint64_t from, size_t max_records,
                                         size_t max_bytes) = 0;

  // The counter of the first durable record whose arrival time is >= at_ms; the shard's
  // durable_next when there is none.
  virtual StorageResult<uint64_t> SeekTime(ShardKey shard, int64_t at_ms) = 0;

  virtual StorageResult<ShardPositions> Positions(ShardKey shard) = 0;

  // Deletes whole stored pieces of the shard whose records all arrived before cutoff_ms.
  // Records older than the cutoff may remain readable until their piece goes; callers that
  // must hide them filter by arrival time. The piece holding the shard's newest record is
  // kept (so its counters survive a restart), and after a restart records trimmed before it
  // may be readable again until the next Trim.
  virtual StorageStatus Trim(ShardKey shard, int64_t cutoff_ms) = 0;

  // Removes every log of the stream revision (the stream was deleted).
  virtual StorageStatus DropStream(uint64_t stream_revision) = 0;

  // Closes the shard's log for good (a reshard closed the shard). Appends issued after Seal()
  // returns fail with kSealed and write nothing; appends accepted before it complete as usual.
  // Once all of them have, Positions(shard).sealed is true, the durable listener runs for the
  // shard and then `done` (on an engine thread, or inline when there is nothing to wait for).
  // Idempotent. Not persisted: after a restart the owner seals its closed shards again before
  // appending.
  virtual void Seal(ShardKey shard, std::function<void()> done) = 0;

  // `listener` runs on an engine thread, outside the engine's locks, each time records of a
  // shard have become durable (its durable_next advanced) and when a seal completes. It must
  // not block; it may call Read() and Positions(). Set it before the first Append.
  virtual void SetDurableListener(std::function<void(ShardKey)> listener) = 0;

  // Finishes pending appends (their callbacks run) and stops the engine's threads.
  virtual void Stop() = 0;

  virtual EngineStats Stats() { return {}; }
};

// Opens the embedded engine in options.dir, recovering every shard log found there (a torn
// tail is truncated; corruption before the tail fails the open with kCorruption).
// `fs` and `clock` must outlive the engine.
StorageResult<std::unique_ptr<LogEngine>> OpenLogEngine(FileSystem& fs, Clock& clock,
                                                        EngineOptions options);

}  // namespace shoal::storage
