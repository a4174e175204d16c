// SharedLogEngine: construction, the write path (group commit) and maintenance.
// The read path is in shared_log_read.cc, recovery in shared_log_recovery.cc.

#include "storage/shared_log_engine.h"

#include <algorithm>
#include <cassert>
#include <cinttypes>
#include <cstdio>

namespace shoal::storage {
namespace {

StorageStatus IoError(const IoStatus& s) { return StorageStatus(StorageErrc::kIo, s.message()); }

uint64_t RequestBytes(const AppendRequest& r) {
  uint64_t n = 0;
  for (const RecordView& rec : r.records) n += EncodedRecordSize(rec);
  return n;
}

}  // namespace

SharedLogEngine::SharedLogEngine(FileSystem& fs, Clock& clock, EngineOptions options)
    : fs_(fs), clock_(clock), options_(std::move(options)) {}

SharedLogEngine::~SharedLogEngine() { Stop(); }

std::string SharedLogEngine::SegmentPath(uint64_t segment) const {
  char name[32];
  std::snprintf(name, sizeof name, "%020" PRIu64 ".seg", segment);
  return LogDir() + "/" + name;
}

StorageStatus SharedLogEngine::Corruption(uint64_t segment, uint64_t offset,
                                          const std::string& why) const {
  return StorageStatus(StorageErrc::kCorruption, SegmentPath(segment) + " at offset " +
                                                     std::to_string(offset) + ": " + why);
}

// ---------------------------------------------------------------------------------------
// Append: queue only; the workers do the rest.

void SharedLogEngine::Append(AppendRequest request, AppendCallback done) {
  bool sealed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    sealed = !sealed_.empty() && sealed_.count(request.shard) > 0;
    if (!stopping_ && !sealed) {
      queue_.push_back(Pending{std::move(request), std::move(done), false, nullptr});
      if (queue_.size() == 1) work_cv_.notify_one();
      return;
    }
  }
  // Rejected at once (after Stop() there is no engine thread left to run the callback).
  if (sealed) return done(StorageStatus(StorageErrc::kSealed, "the shard's log is sealed"));
  done(StorageStatus(StorageErrc::kClosed, "the log engine is stopped"));
}

void SharedLogEngine::Seal(ShardKey shard, std::function<void()> done) {
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, inserted] = sealed_.try_emplace(shard, false);
    first = inserted;
    if (!stopping_ && !it->second) {
      queue_.push_back(Pending{.request = {.shard = shard, .records = {}, .min_counter = 0},
                               .done = nullptr,
                               .seal = true,
                               .sealed = std::move(done)});
      if (queue_.size() == 1) work_cv_.notify_one();
      return;
    }
    it->second = true;  // stopped (nothing is in flight any more), or sealed before
  }
  if (first && durable_listener_) durable_listener_(shard);
  if (done) done();
}

void SharedLogEngine::SetDurableListener(std::function<void(ShardKey)> listener) {
  durable_listener_ = std::move(listener);
}

// Groups written but not yet synced, at most: bounds how far writing runs ahead of syncing.
constexpr size_t kMaxWrittenGroups = 8;

// Each worker loops taking the next stage it may run: a sync of every written group when no
// sync runs, else the write of the next group when no write runs and the pipeline has room.
// Preferring the sync makes a worker that has just written a group sync it itself (no
// hand-off: what a lone PutRecord waits for), while the other worker, woken only when there is a
// second stage to run, writes the next group meanwhile.
void SharedLogEngine::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (!syncing_ && !written_.empty()) {
      syncing_ = true;
      std::vector<std::unique_ptr<Group>> batch;
      for (auto& g : written_) batch.push_back(std::move(g));
      written_.clear();
      if (!writing_ && !queue_.empty()) work_cv_.notify_one();  // the other worker writes
      lock.unlock();
      SyncAndComplete(batch);
      batch.clear();  // releases the callbacks (and what they hold) outside mu_
      lock.lock();
      syncing_ = false;
      continue;
    }
    if (!writing_ && !queue_.empty() && written_.size() < kMaxWrittenGroups) {
      writing_ = true;
      auto group = std::make_unique<Group>();
      PopGroupLocked(&group->requests);
      group->failure = failed_;
      if (group->failure.ok()) PlanGroupLocked(group->requests, &group->plan);
      lock.unlock();
      WriteAndPublish(*group);
      lock.lock();
      writing_ = false;
      written_.push_back(std::move(group));
      continue;
    }
    if (stopping_ && queue_.empty() && written_.empty() && !writing_ && !syncing_) {
      work_cv_.notify_all();  // the other worker sees the same and returns too
      return;
    }
    work_cv_.wait(lock);
  }
}

// The write stage, without mu_ except to publish: lays the group into the active segment.
void SharedLogEngine::WriteAndPublish(Group& group) {
  if (!group.failure.ok() || group.plan.batches.empty()) return;
  group.failure = PrepareSegment(group.plan);
  if (group.failure.ok()) group.failure = WriteGroup(group);
  group.file = active_;
  std::lock_guard<std::mutex> lock(mu_);
  if (group.failure.ok()) {
    PublishLocked(group.plan, /*flushed=*/true,
                  /*durable=*/options_.durability == Durability::kFlush);
  } else if (failed_.ok()) {
    // The log's tail is now unknown (a torn write): stop accepting appends; the next open
    // truncates whatever is torn (LevelDB's bg_error_).
    failed_ = group.failure;
  }
}

// The sync stage, without mu_ except to publish: one fdatasync for every group in `batch`
// (oldest first; they differ in file only around a segment roll, and the writer finished the
// old segment when it rolled), then their callbacks in order.
void SharedLogEngine::SyncAndComplete(std::vector<std::unique_ptr<Group>>& batch) {
  StorageStatus failure;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (sync_failed_) failure = failed_;  // nothing written after a failed sync is trusted
  }
  if (options_.durability == Durability::kSync) {
    WritableFile* synced = nullptr;
    for (auto it = batch.rbegin(); it != batch.rend() && failure.ok(); ++it) {
      Group& g = **it;
      if (!g.failure.ok() || g.file == nullptr || g.file.get() == synced) continue;
      if (synced != nullptr) break;  // older groups are in an older, already synced segment
      IoStatus s = g.file->Sync();
      synced = g.file.get();
      if (!s.ok()) failure = StorageStatus(StorageErrc::kIo, s.message());
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (synced != nullptr && failure.ok()) ++stats_.syncs;
    // A failed fdatasync leaves unknown what reached the disk: fail these groups and every
    // later one (Postgres learnt not to retry fsync).
    if (!failure.ok() && failed_.ok()) failed_ = failure;
    if (!failure.ok()) sync_failed_ = true;
    for (auto& g : batch) {
      if (!failure.ok() && g->failure.ok()) g->failure = failure;
      if (g->failure.ok()) PublishLocked(g->plan, /*flushed=*/false, /*durable=*/true);
    }
  }
  for (auto& g : batch) Complete(*g);
}

void SharedLogEngine::PopGroupLocked(std::vector<Pending>* group) {
  group->clear();
  uint64_t bytes = 0;
  while (!queue_.empty()) {
    uint64_t next = RequestBytes(queue_.front().request);
    if (!group->empty() && bytes + next > options_.max_group_bytes) break;
    bytes += next;
    group->push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
}

std::shared_ptr<ShardLog>& SharedLogEngine::ShardLocked(ShardKey key) {
  std::shared_ptr<ShardLog>& shard = shards_[key];
  if (shard == nullptr) shard = std::make_shared<ShardLog>(key, options_.index_interval_bytes);
  return shard;
}

// Validates each request, assigns counters and arrival times, and lays out the group: one
// batch per shard (consecutive requests of a shard share it unless SequenceNumberForOrdering
// makes their counters jump), positions in the active segment or a new one, prev links.
void SharedLogEngine::PlanGroupLocked(const std::vector<Pending>& group, Plan* plan) {
  plan->batches.clear();
  plan->first_counters.assign(group.size(), 0);
  plan->arrivals.assign(group.size(), 0);
  plan->errors.assign(group.size(), StorageStatus());
  plan->bytes = 0;
  plan->roll_from = 0;
  plan->new_segment = 0;
  int64_t now = clock_.NowMs();
  // The open batch of each shard in this group (index into plan->batches). Groups hold few
  // shards, so a linear search beats a map.
  std::vector<std::pair<ShardLog*, size_t>> open;
  for (size_t i = 0; i < group.size(); ++i) {
    if (group[i].seal) continue;
    const AppendRequest& req = group[i].request;
    uint64_t bytes = RequestBytes(req);
    const char* invalid = nullptr;
    if (req.records.empty()) invalid = "an append needs at least one record";
    if (dropped_.count(req.shard.stream_revision) > 0) invalid = "the stream was dropped";
    if (bytes + kBatchHeaderSize > options_.max_append_bytes) invalid = "the append is too large";
    for (const RecordView& r : req.records) {
      if (r.partition_key.size() > kMaxKeyBytes) invalid = "a partition key is too long";
    }
    if (invalid != nullptr) {
      plan->errors[i] = StorageStatus(StorageErrc::kInvalid, invalid);
      continue;
    }
    std::shared_ptr<ShardLog>& shard_ref = ShardLocked(req.shard);
    ShardLog* shard = shard_ref.get();
    uint64_t first = std::max(shard->next_counter, req.min_counter);
    int64_t arrival = std::max(now, shard->last_arrival_ms);
    auto it = std::find_if(open.begin(), open.end(), [&](auto& o) { return o.first == shard; });
    PlannedBatch* batch = nullptr;
    if (it != open.end()) {
      PlannedBatch& b = plan->batches[it->second];
      if (b.header.first_counter + b.header.count == first &&
          b.header.length + bytes <= options_.max_append_bytes) {
        batch = &b;
      }
    }
    if (batch == nullptr) {
      plan->batches.push_back(PlannedBatch{.shard = shard_ref,
                                           .header = BatchHeader{.length = kBatchHeaderSize,
                                                                 .shard = req.shard,
                                                                 .first_counter = first,
                                                                 .arrival_ms = arrival},
                                           .requests = {}});
      batch = &plan->batches.back();
      plan->bytes += kBatchHeaderSize;
      if (it != open.end()) {
        it->second = plan->batches.size() - 1;
      } else {
        open.emplace_back(shard, plan->batches.size() - 1);
      }
    }
    batch->requests.push_back(i);
    batch->header.count += static_cast<uint32_t>(req.records.size());
    batch->header.length += static_cast<uint32_t>(bytes);
    plan->bytes += bytes;
    plan->first_counters[i] = first;
    plan->arrivals[i] = arrival;
    shard->next_counter = first + req.records.size();
    shard->last_arrival_ms = arrival;
  }
  if (plan->batches.empty()) return;

  // Where the group goes: the active segment, or a fresh one when it would overflow.
  if (active_segment_ == 0 ||
      (active_size_ > 0 && active_size_ + plan->bytes > options_.segment_bytes)) {
    plan->roll_from = active_segment_;
    plan->new_segment = ++last_segment_;
    segments_[plan->new_segment] = SegmentInfo{};
  }
  uint64_t segment = plan->new_segment != 0 ? plan->new_segment : active_segment_;
  uint64_t offset = plan->new_segment != 0 ? 0 : active_size_;
  for (PlannedBatch& b : plan->batches) {
    b.pos = MakePos(segment, offset);
    b.header.prev_pos = b.shard->last_pos;
    b.shard->last_pos = b.pos;
    offset += b.header.length;
  }
}

// Seals the active segment and creates the next one when the plan says so.
StorageStatus SharedLogEngine::PrepareSegment(const Plan& plan) {
  if (plan.new_segment == 0) return StorageStatus();
  if (active_ != nullptr) {
    // Sealed segments are always whole on disk, whatever the durability policy, so only
    // the last segment can ever have a torn tail (or reserved zeros past its data): Finish()
    // gives the reservation back and syncs before the next segment exists. The sync stage may
    // still be syncing the file: it can, and the last owner closes it.
    IoStatus s = active_->Finish();
    if (!s.ok()) return IoError(s);
    active_.reset();
    std::vector<uint64_t> remove;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.syncs;
      auto it = segments_.find(plan.roll_from);
      if (it != segments_.end()) {
        it->second.sealed = true;
        if (it->second.refs == 0) {
          segments_.erase(it);
          remove.push_back(plan.roll_from);
        }
      }
    }
    SHOAL_RETURN_IF_ERROR(RemoveSegments(remove));
  }
  // Reserved: a sync that does not grow the file skips a journal commit (storage.md).
  auto file = fs_.CreateReserved(SegmentPath(plan.new_segment), options_.segment_bytes);
  if (!file.ok()) return IoError(file.status());
  IoStatus s = fs_.SyncDir(LogDir());  // the new name must survive a crash with its data
  if (!s.ok()) return IoError(s);
  active_ = std::move(file).value();
  active_segment_ = plan.new_segment;
  active_size_ = 0;
  return StorageStatus();
}

StorageStatus SharedLogEngine::WriteGroup(const Group& group) {
  const Plan& plan = group.plan;
  buffer_.clear();
  buffer_.reserve(plan.bytes);
  BatchWriter writer;
  for (const PlannedBatch& b : plan.batches) {
    writer.Begin(&buffer_, b.header);
    for (size_t i : b.requests) {
      for (const RecordView& r : group.requests[i].request.records) writer.Add(r);
    }
    [[maybe_unused]] uint32_t length = writer.Finish();
    assert(length == b.header.length);
  }
  assert(buffer_.size() == plan.bytes);
  IoStatus s = active_->Append(buffer_);
  if (!s.ok()) return IoError(s);
  active_size_ += buffer_.size();
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.groups;
  stats_.bytes_written += buffer_.size();
  return StorageStatus();
}

void SharedLogEngine::PublishLocked(const Plan& plan, bool flushed, bool durable) {
  for (const PlannedBatch& b : plan.batches) {
    ShardLog& shard = *b.shard;
    if (shard.dropped) continue;
    uint64_t end = b.header.first_counter + b.header.count;
    if (flushed) {
      if (shard.index.Add(b.header, b.pos)) ++segments_[PosSegment(b.pos)].refs;
      shard.flushed_next = end;
    }
    if (durable) {
      shard.durable_next = end;
      shard.durable_arrival_ms = b.header.arrival_ms;
    }
  }
}

void SharedLogEngine::Complete(Group& group) {
  uint64_t appends = 0, records = 0;
  std::vector<Pending*> seals;
  for (size_t i = 0; i < group.requests.size(); ++i) {
    Pending& p = group.requests[i];
    if (p.seal) {
      // Every earlier group has completed (the pipeline is FIFO), so the shard is final
      // whether or not this group failed.
      seals.push_back(&p);
    } else if (!group.failure.ok()) {
      p.done(StorageStatus(group.failure.code(), group.failure.message()));
    } else if (!group.plan.errors[i].ok()) {
      p.done(group.plan.errors[i]);
    } else {
      ++appends;
      records += p.request.records.size();
      p.done(AppendResult{.first_counter = group.plan.first_counters[i],
                          .arrival_ms = group.plan.arrivals[i]});
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.appends += appends;
    stats_.records += records;
    for (const Pending* p : seals) {
      if (auto it = sealed_.find(p->request.shard); it != sealed_.end()) it->second = true;
    }
  }
  if (durable_listener_ && group.failure.ok()) {
    for (const PlannedBatch& b : group.plan.batches) durable_listener_(b.shard->key);
  }
  for (Pending* p : seals) {
    if (durable_listener_) durable_listener_(p->request.shard);
    if (p->sealed) p->sealed();
  }
}

void SharedLogEngine::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
  if (active_ != nullptr) {
    // A clean stop leaves everything durable, whatever the policy, and no reserved tail.
    IgnoreError(active_->Finish());
    IgnoreError(active_->Close());
    active_.reset();
  }
}

// ---------------------------------------------------------------------------------------
// Positions, retention, dropping.

StorageResult<ShardPositions> SharedLogEngine::Positions(ShardKey key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto seal = sealed_.find(key);
  bool sealed = seal != sealed_.end() && seal->second;
  auto it = shards_.find(key);
  if (it == shards_.end()) return ShardPositions{.first_counter = 1, .sealed = sealed};
  const ShardLog& s = *it->second;
  return ShardPositions{.first_counter = s.FirstCounter(),
                        .next_counter = s.next_counter,
                        .durable_next = s.durable_next,
                        .flushed_next = s.flushed_next,
                        .last_arrival_ms = s.durable_arrival_ms,
                        .sealed = sealed};
}

bool SharedLogEngine::ReleaseSegmentLocked(uint64_t segment) {
  auto it = segments_.find(segment);
  assert(it != segments_.end() && it->second.refs > 0);
  if (it == segments_.end()) return false;
  if (--it->second.refs > 0 || !it->second.sealed) return false;
  segments_.erase(it);
  return true;
}

StorageStatus SharedLogEngine::RemoveSegments(const std::vector<uint64_t>& segments) {
  StorageStatus result;
  for (uint64_t segment : segments) {
    ForgetReadFile(segment);
    IoStatus s = fs_.Remove(SegmentPath(segment));
    if (!s.ok() && s.code() != IoErrc::kNotFound && result.ok()) result = IoError(s);
  }
  return result;
}

StorageStatus SharedLogEngine::Trim(ShardKey key, int64_t cutoff_ms) {
  std::vector<uint64_t> released, remove;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = shards_.find(key);
    if (it == shards_.end()) return StorageStatus();
    it->second->index.TrimBefore(cutoff_ms, it->second->durable_next, &released);
    for (uint64_t segment : released) {
      if (ReleaseSegmentLocked(segment)) remove.push_back(segment);
    }
  }
  // Removed without a directory sync: a removal that a crash undoes brings back records that
  // had expired, which readers filter by arrival time anyway, and recovery cuts the shard's
  // chain where a segment is missing (see ApplyRecovered).
  return RemoveSegments(remove);
}

StorageStatus SharedLogEngine::DropStream(uint64_t stream_revision) {
  std::lock_guard<std::mutex> drop_lock(drop_mu_);
  std::set<uint64_t> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (dropped_.count(stream_revision) > 0) return StorageStatus();
    dropped = dropped_;
  }
  dropped.insert(stream_revision);
  // Durable first: after a crash, recovery must ignore the revision's batches in segments
  // that other streams keep alive.
  SHOAL_RETURN_IF_ERROR(PersistDropped(dropped));
  std::vector<uint64_t> released, remove;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dropped_.insert(stream_revision);
    std::erase_if(sealed_, [&](const auto& e) { return e.first.stream_revision == stream_revision; });
    for (auto it = shards_.begin(); it != shards_.end();) {
      if (it->first.stream_revision != stream_revision) {
        ++it;
        continue;
      }
      it->second->dropped = true;
      it->second->index.Clear(&released);
      it = shards_.erase(it);
    }
    for (uint64_t segment : released) {
      if (ReleaseSegmentLocked(segment)) remove.push_back(segment);
    }
  }
  return RemoveSegments(remove);
}

EngineStats SharedLogEngine::Stats() {
  EngineStats stats;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats = stats_;
    stats.shards = shards_.size();
    stats.segments = segments_.size();
    stats.memory_bytes = shards_.size() * (sizeof(ShardLog) + 64);
    for (const auto& [key, shard] : shards_) {
      stats.index_entries += shard->index.entries().size();
      stats.memory_bytes += shard->index.MemoryBytes();
    }
  }
  std::lock_guard<std::mutex> lock(files_mu_);
  stats.open_read_files = read_files_.size();
  return stats;
}

StorageResult<std::unique_ptr<LogEngine>> OpenLogEngine(FileSystem& fs, Clock& clock,
                                                        EngineOptions options) {
  if (options.dir.empty() || options.segment_bytes == 0 || options.segment_bytes > (1u << 30) ||
      options.max_group_bytes == 0 || options.max_group_bytes > (1u << 30) ||
      options.index_interval_bytes == 0 ||
      options.max_open_files == 0 || options.max_append_bytes > (1u << 30)) {
    return StorageStatus(StorageErrc::kInvalid, "invalid engine options");
  }
  auto engine = std::make_unique<SharedLogEngine>(fs, clock, std::move(options));
  SHOAL_RETURN_IF_ERROR(engine->Open());
  return std::unique_ptr<LogEngine>(std::move(engine));
}

}  // namespace shoal::storage
