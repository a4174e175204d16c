// SharedLogEngine: the read path (Read, SeekTime) and the read-handle cache.
//
// A read copies the index entries it needs under mu_, then works without the lock. For each
// entry it either preads the entry's whole byte range at once (when that range is mostly the
// shard's batches; all of it when they are contiguous) and follows the prev links in memory,
// or walks the prev links with one header pread each and preads only the shard's batches.
// Either way everything lands in one buffer that the returned views point into
// (ReadResult::pin). Every batch's checksum is verified before a record of it is returned; a
// mismatch is kCorruption naming the file and offset.

#include <algorithm>

#include "storage/shared_log_engine.h"

namespace shoal::storage {

StorageResult<SharedLogEngine::FilePtr> SharedLogEngine::ReadFile(uint64_t segment) {
  std::lock_guard<std::mutex> lock(files_mu_);
  auto it = read_files_.find(segment);
  if (it != read_files_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.second);
    return it->second.first;
  }
  auto opened = fs_.OpenRandomAccess(SegmentPath(segment));
  if (!opened.ok()) {
    // kNotFound: Trim removed the segment since the caller looked at the index; it retries.
    return StorageStatus(StorageErrc::kIo, opened.message());
  }
  FilePtr file(std::move(opened).value());
  lru_.push_front(segment);
  read_files_[segment] = {file, lru_.begin()};
  while (read_files_.size() > options_.max_open_files) {
    read_files_.erase(lru_.back());  // readers still using it keep their shared_ptr
    lru_.pop_back();
  }
  return file;
}

void SharedLogEngine::ForgetReadFile(uint64_t segment) {
  std::lock_guard<std::mutex> lock(files_mu_);
  auto it = read_files_.find(segment);
  if (it == read_files_.end()) return;
  lru_.erase(it->second.second);
  read_files_.erase(it);
}

StorageStatus SharedLogEngine::WalkEntry(const IndexEntry& entry, const RandomAccessFile& file,
                                         const char* extent,
                                         std::vector<std::pair<LogPos, BatchHeader>>* out) {
  out->clear();
  const uint64_t first_off = PosOffset(entry.first_pos);
  LogPos pos = entry.last_pos;
  char raw[kBatchHeaderSize];
  for (uint32_t n = 0;; ++n) {
    uint64_t off = PosOffset(pos);
    if (n >= entry.batches || PosSegment(pos) != entry.segment() || off < first_off ||
        off - first_off + kBatchHeaderSize > entry.extent) {
      return Corruption(entry.segment(), off, "broken chain of a shard's batches");
    }
    std::string_view bytes;
    if (extent != nullptr) {
      bytes = std::string_view(extent + (off - first_off), entry.extent - (off - first_off));
    } else {
      auto got = file.Read(off, kBatchHeaderSize, raw);
      if (!got.ok()) return StorageStatus(StorageErrc::kIo, got.message());
      bytes = std::string_view(raw, *got);
    }
    BatchHeader header;
    DecodeStatus st = DecodeHeader(bytes, &header);
    if (st != DecodeStatus::kOk) return Corruption(entry.segment(), off, DecodeStatusName(st));
    out->emplace_back(pos, header);
    if (pos == entry.first_pos) break;
    pos = header.prev_pos;
  }
  std::reverse(out->begin(), out->end());
  return StorageStatus();
}

namespace {
// Whether to read an entry's whole byte range at once: when at least a quarter of it is the
// shard's (or it is small), one pread beats a header pread per batch.
bool ReadWholeExtent(const IndexEntry& e) {
  return e.extent <= std::max<uint64_t>(4ull * e.bytes, 64 * 1024);
}
}  // namespace

StorageResult<ReadResult> SharedLogEngine::Read(ShardKey shard, uint64_t from, size_t max_records,
                                                size_t max_bytes) {
  bool retry = false;
  for (int attempt = 0;; ++attempt) {
    StorageResult<ReadResult> r = ReadOnce(shard, from, max_records, max_bytes, &retry);
    if (!retry || attempt == 3) return r;
  }
}

StorageResult<ReadResult> SharedLogEngine::ReadOnce(ShardKey key, uint64_t from,
                                                    size_t max_records, size_t max_bytes,
                                                    bool* retry) {
  *retry = false;
  max_records = std::max<size_t>(max_records, 1);
  std::vector<IndexEntry> entries;
  uint64_t limit = 0, start = from, total = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = shards_.find(key);
    if (it == shards_.end()) return ReadResult{.records = {}, .next_counter = from, .pin = {}};
    const ShardLog& s = *it->second;
    limit = s.durable_next;
    start = std::max(from, s.FirstCounter());
    if (start >= limit || s.index.empty()) {
      return ReadResult{.records = {}, .next_counter = start, .pin = {}};
    }
    const std::vector<IndexEntry>& all = s.index.entries();
    uint64_t records = 0, bytes = 0;
    for (size_t i = s.index.FindCounter(start); i < all.size() && all[i].first_counter < limit;
         ++i) {
      entries.push_back(all[i]);
      total += ReadWholeExtent(all[i]) ? all[i].extent : all[i].bytes;
      // The first entry may hold records before `start`: counted as nothing, so at most one
      // entry more than needed is read.
      if (entries.size() == 1) continue;
      records += all[i].records;
      bytes += all[i].payload;
      if (records >= max_records || bytes >= max_bytes) break;
    }
  }

  std::shared_ptr<char[]> buf(new char[std::max<uint64_t>(total, 1)]);
  ReadResult result;
  result.records.reserve(std::min<uint64_t>(max_records, 4096));
  uint64_t data_bytes = 0;
  bool full = false;
  size_t cursor = 0;
  // Verifies the batch at buf[at..] (from `segment` at `offset`) and takes its records.
  auto take = [&](uint64_t segment, uint64_t offset, size_t at, size_t available) -> StorageStatus {
    std::string_view bytes(buf.get() + at, available);
    BatchHeader h;
    DecodeStatus st = DecodeHeader(bytes, &h);
    if (st == DecodeStatus::kOk) st = VerifyBatch(bytes, h);
    if (st != DecodeStatus::kOk) return Corruption(segment, offset, DecodeStatusName(st));
    if (h.shard != key) return Corruption(segment, offset, "batch of another shard in the chain");
    if (h.first_counter + h.count <= start) return StorageStatus();
    RecordIterator records(bytes, h);
    RecordView r;
    for (uint64_t counter = h.first_counter; records.Next(&r); ++counter) {
      if (counter < start) continue;
      size_t size = r.partition_key.size() + r.data.size();
      if (counter >= limit || result.records.size() >= max_records ||
          (!result.records.empty() && data_bytes + size > max_bytes)) {
        full = true;
        break;
      }
      result.records.push_back(StoredRecord{.counter = counter,
                                            .arrival_ms = h.arrival_ms,
                                            .partition_key = r.partition_key,
                                            .data = r.data});
      data_bytes += size;
    }
    return StorageStatus();
  };

  std::vector<std::pair<LogPos, BatchHeader>> walk;
  for (const IndexEntry& e : entries) {
    if (full) break;
    uint64_t segment = e.segment();
    auto file = ReadFile(segment);
    if (!file.ok()) {
      *retry = true;
      return std::move(file).status();
    }
    const uint64_t first_off = PosOffset(e.first_pos);
    if (ReadWholeExtent(e)) {
      auto got = (*file)->Read(first_off, e.extent, buf.get() + cursor);
      if (!got.ok()) return StorageStatus(StorageErrc::kIo, got.message());
      if (*got < e.extent) return Corruption(segment, first_off + *got, "truncated");
      if (e.contiguous()) {  // back to back: walk them by length
        for (size_t off = 0; off < e.extent && !full;) {
          BatchHeader h;
          DecodeStatus st = DecodeHeader(std::string_view(buf.get() + cursor + off, e.extent - off), &h);
          if (st != DecodeStatus::kOk) return Corruption(segment, first_off + off, DecodeStatusName(st));
          SHOAL_RETURN_IF_ERROR(take(segment, first_off + off, cursor + off, e.extent - off));
          off += h.length;
        }
      } else {  // interleaved with other shards' batches: follow the links in memory
        SHOAL_RETURN_IF_ERROR(WalkEntry(e, **file, buf.get() + cursor, &walk));
        for (const auto& [pos, h] : walk) {
          if (full) break;
          size_t off = PosOffset(pos) - first_off;
          SHOAL_RETURN_IF_ERROR(take(segment, PosOffset(pos), cursor + off, e.extent - off));
        }
      }
      cursor += e.extent;
      continue;
    }
    SHOAL_RETURN_IF_ERROR(WalkEntry(e, **file, nullptr, &walk));
    for (const auto& [pos, h] : walk) {
      if (full) break;
      if (h.first_counter + h.count <= start) continue;
      auto got = (*file)->Read(PosOffset(pos), h.length, buf.get() + cursor);
      if (!got.ok()) return StorageStatus(StorageErrc::kIo, got.message());
      if (*got < h.length) return Corruption(segment, PosOffset(pos) + *got, "truncated");
      SHOAL_RETURN_IF_ERROR(take(segment, PosOffset(pos), cursor, h.length));
      cursor += h.length;
    }
  }
  result.next_counter = result.records.empty() ? start : result.records.back().counter + 1;
  result.pin = std::move(buf);
  return result;
}

StorageResult<uint64_t> SharedLogEngine::SeekTime(ShardKey key, int64_t at_ms) {
  for (int attempt = 0;; ++attempt) {
    IndexEntry e;
    uint64_t limit = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = shards_.find(key);
      if (it == shards_.end()) return ShardPositions{}.durable_next;
      const ShardLog& s = *it->second;
      limit = s.durable_next;
      int i = s.index.FindTime(at_ms);
      if (i < 0) return limit;
      e = s.index.entries()[i];
      if (e.first_counter >= limit) return limit;
      if (e.first_arrival_ms >= at_ms) return e.first_counter;
    }
    // The entry's first batch is older than at_ms and its last is not: find the batch.
    auto file = ReadFile(e.segment());
    if (!file.ok()) {
      if (attempt < 3) continue;  // trimmed meanwhile
      return std::move(file).status();
    }
    std::vector<std::pair<LogPos, BatchHeader>> walk;
    SHOAL_RETURN_IF_ERROR(WalkEntry(e, **file, nullptr, &walk));
    for (const auto& [pos, h] : walk) {
      if (h.arrival_ms >= at_ms) return std::min(h.first_counter, limit);
    }
    return std::min(e.end_counter, limit);
  }
}

}  // namespace shoal::storage
