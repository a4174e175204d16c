// SharedLogEngine: opening and recovery, and the dropped-revisions file.
//
// Open() reads <dir>/dropped, then scans every segment in id order, verifying each batch's
// checksum and rebuilding each shard's counters and sparse index. Rules (see
// docs/formats/shard-log.md, "Recovery"):
//   * Only the last segment can end in a torn tail (a segment is synced, and its reserved
//     space given back, before the next one is created). A reserved segment's zeros past its
//     data read as a torn tail. There, the first bad batch is a torn tail if no intact batch starts
//     anywhere after it: the file is truncated at it and the truncation synced. If an intact
//     batch follows, the damage is in the middle: kCorruption with the file and offset.
//   * Any bad batch in an earlier segment is kCorruption with the file and offset.
//   * A shard's counters must increase along the log; a batch whose prev link does not name
//     the shard's previous batch found so far means retention removed the segment between
//     them: the shard's older part is dropped (it had expired).
//   * Batches of dropped revisions are skipped; segments nobody references are removed.

#include <algorithm>
#include <cstring>

#include "common/crc32c.h"
#include "storage/shared_log_engine.h"

namespace shoal::storage {
namespace {

constexpr uint32_t kDroppedMagic = 0x52444853;  // "SHDR"
constexpr uint32_t kDroppedVersion = 1;
constexpr size_t kScanWindow = 4 << 20;

StorageStatus IoError(const IoStatus& s) { return StorageStatus(StorageErrc::kIo, s.message()); }

// Parses "<digits>.seg"; 0 if the name is something else.
uint64_t SegmentIdFromName(const std::string& name) {
  if (name.size() != 24 || name.compare(20, 4, ".seg") != 0) return 0;
  uint64_t id = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
    id = id * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return id;
}

// Reads a segment through a window, so recovery holds kScanWindow bytes, not the segment.
class SegmentScanner {
 public:
  SegmentScanner(const RandomAccessFile& file, uint64_t size) : file_(file), size_(size) {}

  // Makes [offset, offset + n) available (clipped at the end of the file) and returns it.
  IoResult<std::string_view> View(uint64_t offset, uint64_t n) {
    if (offset >= size_) return std::string_view();
    n = std::min(n, size_ - offset);
    if (offset < window_off_ || offset + n > window_off_ + window_.size()) {
      window_.resize(std::max<uint64_t>(n, std::min<uint64_t>(kScanWindow, size_ - offset)));
      auto got = file_.Read(offset, window_.size(), window_.data());
      if (!got.ok()) return std::move(got).status();
      window_.resize(*got);
      window_off_ = offset;
    }
    return std::string_view(window_).substr(offset - window_off_, n);
  }

  // The offset of the first occurrence of `needle` at or after `from`; size() if none. Scans
  // a window at a time, so a long zero tail (a reserved segment) costs memchr speed.
  IoResult<uint64_t> Find(uint64_t from, std::string_view needle) {
    while (from + needle.size() <= size_) {
      auto view = View(from, std::min<uint64_t>(kScanWindow, size_ - from));
      if (!view.ok()) return std::move(view).status();
      if (view->size() < needle.size()) break;
      const void* hit = ::memmem(view->data(), view->size(), needle.data(), needle.size());
      if (hit != nullptr) return from + (static_cast<const char*>(hit) - view->data());
      from += view->size() - needle.size() + 1;
    }
    return size_;
  }

  uint64_t size() const { return size_; }

 private:
  const RandomAccessFile& file_;
  const uint64_t size_;
  std::string window_;
  uint64_t window_off_ = 0;
};

// What is at `offset`: kOk with the header, or why no intact batch starts there.
DecodeStatus ProbeBatch(SegmentScanner& scan, uint64_t offset, BatchHeader* h, IoStatus* io) {
  auto head = scan.View(offset, kBatchHeaderSize);
  if (!head.ok()) {
    *io = head.status();
    return DecodeStatus::kTruncated;
  }
  DecodeStatus st = DecodeHeader(*head, h);
  if (st != DecodeStatus::kOk) return st;
  auto whole = scan.View(offset, h->length);
  if (!whole.ok()) {
    *io = whole.status();
    return DecodeStatus::kTruncated;
  }
  return VerifyBatch(*whole, *h);
}

}  // namespace

// Open() runs before the worker threads exist and before the engine is handed to anyone, so
// it uses the mu_-guarded state without taking mu_ (and does file I/O freely).
StorageStatus SharedLogEngine::Open() {
  IoStatus s = fs_.CreateDirs(LogDir());
  if (!s.ok()) return IoError(s);
  SHOAL_RETURN_IF_ERROR(LoadDropped());
  auto names = fs_.ListDir(LogDir());
  if (!names.ok()) return IoError(names.status());
  std::vector<uint64_t> ids;
  for (const std::string& name : *names) {
    if (uint64_t id = SegmentIdFromName(name); id != 0) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  for (size_t i = 0; i < ids.size(); ++i) {
    segments_[ids[i]] = SegmentInfo{.refs = 0, .sealed = true};
    SHOAL_RETURN_IF_ERROR(RecoverSegment(ids[i], i + 1 == ids.size()));
  }
  last_segment_ = ids.empty() ? 0 : ids.back();
  // Segments holding nothing live (all trimmed, dropped or empty) go now. New appends go to a
  // fresh segment, so a recovered file is never appended to.
  std::vector<uint64_t> remove;
  for (auto it = segments_.begin(); it != segments_.end();) {
    if (it->second.refs == 0) {
      remove.push_back(it->first);
      it = segments_.erase(it);
    } else {
      ++it;
    }
  }
  SHOAL_RETURN_IF_ERROR(RemoveSegments(remove));
  // The workers are joined by Stop(), which the destructor calls: `this` outlives them.
  for (std::thread& t : workers_) t = std::thread([this] { WorkerLoop(); });
  return StorageStatus();
}

StorageStatus SharedLogEngine::RecoverSegment(uint64_t segment, bool last) {
  const std::string path = SegmentPath(segment);
  auto file = fs_.OpenRandomAccess(path);
  if (!file.ok()) return IoError(file.status());
  auto size = (*file)->Size();
  if (!size.ok()) return IoError(size.status());
  SegmentScanner scan(**file, *size);
  uint64_t offset = 0;
  while (offset < scan.size()) {
    BatchHeader h;
    IoStatus io;
    DecodeStatus st = ProbeBatch(scan, offset, &h, &io);
    if (!io.ok()) return IoError(io);
    if (st == DecodeStatus::kOk) {
      SHOAL_RETURN_IF_ERROR(ApplyRecovered(h, MakePos(segment, offset)));
      offset += h.length;
      continue;
    }
    if (!last) return Corruption(segment, offset, DecodeStatusName(st));
    // A torn tail, unless an intact batch starts anywhere after this point.
    const uint32_t magic = kBatchMagic;
    const std::string_view needle(reinterpret_cast<const char*>(&magic), sizeof magic);
    for (uint64_t probe = offset + 1; probe + kBatchHeaderSize <= scan.size(); ++probe) {
      auto found = scan.Find(probe, needle);
      if (!found.ok()) return IoError(found.status());
      probe = *found;
      if (probe + kBatchHeaderSize > scan.size()) break;
      BatchHeader later;
      if (ProbeBatch(scan, probe, &later, &io) == DecodeStatus::kOk) {
        return Corruption(segment, offset,
                          std::string(DecodeStatusName(st)) + ", and an intact batch follows at " +
                              std::to_string(probe));
      }
      if (!io.ok()) return IoError(io);
    }
    // Truncate the torn tail durably: left in place, it would sit in the middle of the log
    // once a newer segment exists.
    IoStatus s = fs_.Truncate(path, offset);
    if (s.ok()) {
      auto w = fs_.OpenAppendable(path);
      s = w.ok() ? (*w)->Sync() : w.status();
      if (w.ok() && s.ok()) s = (*w)->Close();
    }
    if (!s.ok()) return IoError(s);
    break;
  }
  return StorageStatus();
}

StorageStatus SharedLogEngine::ApplyRecovered(const BatchHeader& h, LogPos pos) {
  if (dropped_.count(h.shard.stream_revision) > 0) return StorageStatus();
  ShardLog& shard = *ShardLocked(h.shard);
  if (h.first_counter < shard.next_counter || h.arrival_ms < shard.last_arrival_ms) {
    return Corruption(PosSegment(pos), PosOffset(pos),
                      "a shard's counters or arrival times go backwards");
  }
  if (shard.last_pos != 0 && h.prev_pos != shard.last_pos) {
    // The batches in between were in a segment that retention removed: the shard's older
    // part expired too.
    std::vector<uint64_t> released;
    shard.index.Clear(&released);
    for (uint64_t segment : released) --segments_[segment].refs;
  }
  if (shard.index.Add(h, pos)) ++segments_[PosSegment(pos)].refs;
  uint64_t end = h.first_counter + h.count;
  shard.next_counter = shard.flushed_next = shard.durable_next = end;
  shard.last_arrival_ms = shard.durable_arrival_ms = h.arrival_ms;
  shard.last_pos = pos;
  return StorageStatus();
}

// <dir>/dropped: | magic u32 | version u32 | count u64 | revision u64 × count | crc32c u32 |,
// crc = MaskCrc32c over everything before it. Replaced atomically (temp, sync, rename, sync dir).
StorageStatus SharedLogEngine::LoadDropped() {
  auto exists = fs_.Exists(DroppedPath());
  if (!exists.ok()) return IoError(exists.status());
  if (!*exists) return StorageStatus();
  auto data = fs_.ReadAll(DroppedPath());
  if (!data.ok()) return IoError(data.status());
  const std::string& d = *data;
  auto bad = [&] { return StorageStatus(StorageErrc::kCorruption, DroppedPath() + ": damaged"); };
  if (d.size() < 20) return bad();
  uint32_t magic, version, crc;
  uint64_t count;
  std::memcpy(&magic, d.data(), 4);
  std::memcpy(&version, d.data() + 4, 4);
  std::memcpy(&count, d.data() + 8, 8);
  if (magic != kDroppedMagic || version != kDroppedVersion || (d.size() - 20) / 8 != count ||
      (d.size() - 20) % 8 != 0) {
    return bad();
  }
  std::memcpy(&crc, d.data() + d.size() - 4, 4);
  if (UnmaskCrc32c(crc) != Crc32c(std::string_view(d).substr(0, d.size() - 4))) return bad();
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t rev;
    std::memcpy(&rev, d.data() + 16 + 8 * i, 8);
    dropped_.insert(rev);
  }
  return StorageStatus();
}

StorageStatus SharedLogEngine::PersistDropped(const std::set<uint64_t>& dropped) {
  std::string d(16 + 8 * dropped.size(), '\0');
  uint32_t magic = kDroppedMagic, version = kDroppedVersion;
  uint64_t count = dropped.size();
  std::memcpy(d.data(), &magic, 4);
  std::memcpy(d.data() + 4, &version, 4);
  std::memcpy(d.data() + 8, &count, 8);
  size_t at = 16;
  for (uint64_t rev : dropped) {
    std::memcpy(d.data() + at, &rev, 8);
    at += 8;
  }
  uint32_t crc = MaskCrc32c(Crc32c(d));
  d.append(reinterpret_cast<const char*>(&crc), 4);
  const std::string tmp = DroppedPath() + ".tmp";
  auto file = fs_.Create(tmp);
  if (!file.ok()) return IoError(file.status());
  IoStatus s = (*file)->Append(d);
  if (s.ok()) s = (*file)->Sync();
  if (s.ok()) s = (*file)->Close();
  if (s.ok()) s = fs_.Rename(tmp, DroppedPath());
  if (s.ok()) s = fs_.SyncDir(options_.dir);
  return s.ok() ? StorageStatus() : IoError(s);
}

}  // namespace shoal::storage
