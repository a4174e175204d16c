#pragma once
// ShardIndex: one shard's sparse index into the shared log. Pure logic, no I/O (style A13):
// the engine feeds it every batch it writes (or finds at recovery) and asks it where to read.
//
// The shard's batches are scattered through the shared log, linked backwards: each batch
// header names the shard's previous batch (BatchHeader::prev_pos). The index keeps one entry
// per run of consecutive batches (an "interval") in the same segment, closed once it holds
// ~32 KiB of the shard's data or kMaxBatchesPerEntry batches. An entry knows its first and
// last batch, so a reader finds every batch in between by walking prev links from the last
// one, with at most kMaxBatchesPerEntry header reads; when the interval's batches are
// contiguous in the file (a shard writing alone, or one big batch) `span` says so and the
// reader takes the whole interval with one pread.
//
// Every segment in which the shard has data starts a new entry, so entries group by segment
// and retention can release the shard's part of a segment as a whole.
//
// Thread-safety: none; the engine guards each ShardIndex with its mutex.

#include <cstdint>
#include <vector>

#include "storage/batch_format.h"

namespace shoal::storage {

struct IndexEntry {
  uint64_t first_counter = 0;   // of the first batch
  uint64_t end_counter = 0;     // one past the last record of the last batch
  int64_t first_arrival_ms = 0;
  int64_t last_arrival_ms = 0;  // arrival times never decrease within a shard
  LogPos first_pos = 0;
  LogPos last_pos = 0;          // the walk starts here
  uint32_t bytes = 0;           // batch bytes (headers included) in the interval
  uint32_t extent = 0;          // bytes from first_pos to the end of the last batch; equal
                                // to `bytes` when the batches are contiguous
  uint32_t batches = 0;
  uint32_t records = 0;
  uint32_t payload = 0;         // partition key + data bytes of those records
  uint64_t segment() const { return PosSegment(first_pos); }
  bool contiguous() const { return extent == bytes; }
};

class ShardIndex {
 public:
  static constexpr uint32_t kMaxBatchesPerEntry = 32;

  explicit ShardIndex(uint32_t interval_bytes = 32 * 1024) : interval_bytes_(interval_bytes) {}

  // Records a batch written at `pos`. Returns true when it is the shard's first batch in its
  // segment (the shard now holds a reference on that segment).
  // REQUIRES: batches come in log order with increasing counters and non-decreasing arrival.
  bool Add(const BatchHeader& header, LogPos pos);

  // The entry to start a read at `counter` from: the last entry whose first_counter is
  // <= counter, or the first entry if counter precedes them all. -1 if there are none.
  int FindCounter(uint64_t counter) const;
  // The first entry holding a batch that arrived at or after at_ms; -1 if none.
  int FindTime(int64_t at_ms) const;

  // Drops the shard's part of each segment, oldest first, whose records all arrived before
  // cutoff_ms and all lie below `durable_end` (a counter). The piece holding the shard's
  // newest batch always stays, so the shard's next counter survives a restart even when all
  // its records have expired. Appends the segments released to *released.
  void TrimBefore(int64_t cutoff_ms, uint64_t durable_end, std::vector<uint64_t>* released);
  // Drops every entry; appends every segment referenced to *released.
  void Clear(std::vector<uint64_t>* released);

  const std::vector<IndexEntry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  // The counter of the oldest indexed record (0 if empty).
  uint64_t first_counter() const { return entries_.empty() ? 0 : entries_.front().first_counter; }
  size_t MemoryBytes() const { return entries_.capacity() * sizeof(IndexEntry); }

 private:
  uint32_t interval_bytes_;
  std::vector<IndexEntry> entries_;
};

}  // namespace shoal::storage
