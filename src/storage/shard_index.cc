#include "storage/shard_index.h"

#include <algorithm>
#include <cassert>

namespace shoal::storage {

bool ShardIndex::Add(const BatchHeader& header, LogPos pos) {
  uint64_t end_counter = header.first_counter + header.count;
  uint32_t payload =
      header.length - static_cast<uint32_t>(kBatchHeaderSize + kRecordHeaderSize * header.count);
  if (!entries_.empty()) {
    IndexEntry& last = entries_.back();
    assert(header.first_counter >= last.end_counter);
    assert(header.arrival_ms >= last.last_arrival_ms);
    bool same_segment = PosSegment(pos) == last.segment();
    if (same_segment && last.bytes < interval_bytes_ && last.batches < kMaxBatchesPerEntry) {
      last.extent = static_cast<uint32_t>(PosOffset(pos) + header.length - PosOffset(last.first_pos));
      last.bytes += header.length;
      last.batches += 1;
      last.records += header.count;
      last.payload += payload;
      last.last_pos = pos;
      last.end_counter = end_counter;
      last.last_arrival_ms = header.arrival_ms;
      return false;
    }
  }
  bool new_segment = entries_.empty() || PosSegment(pos) != entries_.back().segment();
  entries_.push_back(IndexEntry{.first_counter = header.first_counter,
                                .end_counter = end_counter,
                                .first_arrival_ms = header.arrival_ms,
                                .last_arrival_ms = header.arrival_ms,
                                .first_pos = pos,
                                .last_pos = pos,
                                .bytes = header.length,
                                .extent = header.length,
                                .batches = 1,
                                .records = header.count,
                                .payload = payload});
  return new_segment;
}

int ShardIndex::FindCounter(uint64_t counter) const {
  if (entries_.empty()) return -1;
  auto it = std::upper_bound(entries_.begin(), entries_.end(), counter,
                             [](uint64_t c, const IndexEntry& e) { return c < e.first_counter; });
  if (it == entries_.begin()) return 0;
  return static_cast<int>(it - entries_.begin()) - 1;
}

int ShardIndex::FindTime(int64_t at_ms) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), at_ms,
                             [](const IndexEntry& e, int64_t t) { return e.last_arrival_ms < t; });
  return it == entries_.end() ? -1 : static_cast<int>(it - entries_.begin());
}

void ShardIndex::TrimBefore(int64_t cutoff_ms, uint64_t durable_end,
                            std::vector<uint64_t>* released) {
  size_t drop = 0;
  while (drop < entries_.size()) {
    // The run of entries in the segment of entries_[drop].
    size_t run_end = drop;
    uint64_t segment = entries_[drop].segment();
    while (run_end < entries_.size() && entries_[run_end].segment() == segment) ++run_end;
    const IndexEntry& last = entries_[run_end - 1];
    if (run_end == entries_.size()) break;  // the newest piece stays (it carries the counters)
    if (last.last_arrival_ms >= cutoff_ms || last.end_counter > durable_end) break;
    released->push_back(segment);
    drop = run_end;
  }
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<ptrdiff_t>(drop));
}

void ShardIndex::Clear(std::vector<uint64_t>* released) {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (i == 0 || entries_[i].segment() != entries_[i - 1].segment()) {
      released->push_back(entries_[i].segment());
    }
  }
  entries_.clear();
}

}  // namespace shoal::storage
