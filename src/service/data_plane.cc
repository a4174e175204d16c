#include "service/data_plane.h"

#include <fmt/format.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <map>

#include "common/md5.h"
#include "common/time_format.h"
#include "service/page_token.h"
#include "service/sequence_number.h"

namespace shoal::service {

std::string ShardSequenceNumber(const meta::ShardRecord& shard, uint64_t counter,
                                int64_t arrival_ms) {
  return SequenceNumber{static_cast<uint64_t>(shard.created_ms / 1000), shard.index, counter, 0,
                        static_cast<uint64_t>(arrival_ms / 1000)}
      .ToString();
}

using meta::ShardRecord;
using meta::StreamStatus;

namespace {

constexpr char kIteratorKind[] = "I";
constexpr int64_t kRetentionPassMs = 60'000;

std::string SequenceNumberOf(const ShardRecord& shard, uint64_t counter, int64_t arrival_ms) {
  return ShardSequenceNumber(shard, counter, arrival_ms);
}

// "Thu Jan 22 01:22:02 UTC 2015", as AWS prints instants in iterator messages.
std::string JavaDate(int64_t ms) { return FormatUtc(ms, "%a %b %d %H:%M:%S UTC %Y"); }

storage::ShardKey KeyOf(const StreamView& v, const ShardRecord& s) {
  return storage::ShardKey{v.revision, s.index};
}

LimiterKey LimitKeyOf(const StreamView& v, uint32_t shard) { return LimiterKey{v.revision, shard}; }

constexpr char kThrottledCode[] = "ProvisionedThroughputExceededException";
// How often one PutRecords follows reshards that seal its shards under it.
constexpr int kMaxReroutes = 8;

}  // namespace

// Shared by the per-shard completions of one PutRecords; the last one to finish answers.
struct DataPlane::PutState {
  PutRecordsRequest request;
  PutCallback done;
  PutRecordsResult result;
  std::atomic<size_t> pending{0};
};

// The entries of a request grouped by destination shard.
struct DataPlane::Routed {
  std::map<uint32_t, std::vector<size_t>> by_shard;  // shard index → entry positions
  uint64_t min_counter = 0;  // from SequenceNumberForOrdering, for its shard only
  uint32_t ordered_shard = UINT32_MAX;
};

DataPlane::DataPlane(StreamService& streams, storage::LogEngine& engine, Clock& clock,
                     DataPlaneOptions options)
    : streams_(streams),
      engine_(engine),
      clock_(clock),
      options_(options),
      limiter_(clock, options.limits) {
  streams_.SetShardsClosedHook([this](uint64_t revision, const std::vector<uint32_t>& shards) {
    SealShards(revision, shards);
  });
  SealClosedShards();
}

std::string DataPlane::RateExceeded(const StreamView& view, uint32_t shard) const {
  return fmt::format("Rate exceeded for shard {} in stream {} under account {}.",
                     ShardIdString(shard), view.name, streams_.options().account_id);
}

std::string DataPlane::NotFound(const std::string& stream) const {
  return fmt::format("Stream {} under account {} not found.", stream,
                     streams_.options().account_id);
}

SvcResult<DataPlane::Routed> DataPlane::Route(const StreamView& view,
                                              const PutRecordsRequest& r) const {
  const int64_t max_record = int64_t{view.max_record_size_kib} * 1024;
  std::vector<std::string> too_big;
  std::optional<std::string> oversized;  // data fits, data + key does not
  int64_t total = 0;
  Routed routed;
  std::vector<uint128> hashes(r.entries.size());
  for (size_t i = 0; i < r.entries.size(); ++i) {
    const PutEntry& e = r.entries[i];
    int64_t size = static_cast<int64_t>(e.data.size() + e.partition_key.size());
    total += size;
    if (static_cast<int64_t>(e.data.size()) > max_record) {
      too_big.push_back(fmt::format(
          "Value 'java.nio.HeapByteBuffer[pos=0 lim={0} cap={0}]' at '{1}' failed to satisfy "
          "constraint: Member must have length less than or equal to {2}",
          e.data.size(), r.single ? "data" : fmt::format("records.{}.member.data", i + 1),
          max_record));
    } else if (size > max_record && !oversized) {
      oversized = fmt::format("Record size ({} bytes of data plus partition key) exceeds the "
                              "stream's maximum record size of {} bytes.",
                              size, max_record);
    }
    if (e.explicit_hash_key) {
      auto h = ParseUint128(*e.explicit_hash_key);
      if (!h) {
        return {Errc::kInvalidArgument,
                fmt::format("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: "
                            "[0, 2^128-1]. Specified value was {}",
                            *e.explicit_hash_key)};
      }
      hashes[i] = *h;
    } else {
      hashes[i] = Md5HashKey(e.partition_key);
    }
  }
  if (!too_big.empty()) {
    std::string msg = fmt::format("{} validation error{} detected: ", too_big.size(),
                                  too_big.size() == 1 ? "" : "s");
    for (size_t i = 0; i < too_big.size() && i < 10; ++i) msg += (i ? "; " : "") + too_big[i];
    return {Errc::kValidation, msg};
  }
  if (oversized) return {Errc::kInvalidArgument, *oversized};
  if (total > options_.max_put_records_bytes) {
    return {Errc::kInvalidArgument,
            fmt::format("Records size exceeds {} MB limit", options_.max_put_records_bytes >> 20)};
  }
  for (size_t i = 0; i < r.entries.size(); ++i) {
    routed.by_shard[view.Route(hashes[i]).index].push_back(i);
  }
  if (r.sequence_number_for_ordering) {
    auto seq = SequenceNumber::Parse(*r.sequence_number_for_ordering);
    if (!seq || static_cast<int64_t>(seq->record_secs) * 1000 > clock_.NowMs() + 1000) {
      return {Errc::kInvalidArgument,
              fmt::format("ExclusiveMinimumSequenceNumber {} used in PutRecord on stream {} "
                          "under account {} is invalid.",
                          *r.sequence_number_for_ordering, view.name,
                          streams_.options().account_id)};
    }
    // PutRecord has one entry, hence one shard.
    const ShardRecord& target = *view.FindShard(routed.by_shard.begin()->first);
    // Only a number of the same shard incarnation constrains the new one; any other valid
    // number is already ordered before it by the shard's own counter.
    if (seq->shard_index == target.index &&
        seq->create_secs == static_cast<uint64_t>(target.created_ms / 1000)) {
      routed.min_counter = seq->counter + 1;
      routed.ordered_shard = target.index;
    }
  }
  return routed;
}

void DataPlane::PutRecords(PutRecordsRequest request, PutCallback done) {
  auto view_or = streams_.View(request.stream);
  if (!view_or.ok()) return done(view_or.status());
  std::shared_ptr<const StreamView> view = *view_or;
  if (view->status == StreamStatus::kCreating) return done({Errc::kResourceNotFound, NotFound(view->name)});
  auto routed = Route(*view, request);
  if (!routed.ok()) return done(routed.status());

  auto state = std::make_shared<PutState>();
  state->request = std::move(request);
  state->done = std::move(done);
  state->result.entries.resize(state->request.entries.size());
  state->result.encryption = view->encryption;

  // Per-shard write limits: a record over its shard's budget alone fails with
  // ProvisionedThroughputExceededException; the others go on.
  if (limiter_.enabled()) {
    std::vector<int64_t> sizes;
    std::vector<char> admitted;
    for (auto it = routed->by_shard.begin(); it != routed->by_shard.end();) {
      auto& [index, positions] = *it;
      sizes.clear();
      for (size_t p : positions) {
        const PutEntry& e = state->request.entries[p];
        sizes.push_back(static_cast<int64_t>(e.partition_key.size() + e.data.size()));
      }
      if (limiter_.AdmitWrites(LimitKeyOf(*view, index), sizes, admitted) == positions.size()) {
        ++it;
        continue;
      }
      if (state->request.single) {
        return state->done({Errc::kProvisionedThroughputExceeded, RateExceeded(*view, index)});
      }
      std::vector<size_t> kept;
      for (size_t j = 0; j < positions.size(); ++j) {
        if (admitted[j]) {
          kept.push_back(positions[j]);
          continue;
        }
        PutResultEntry& out = state->result.entries[positions[j]];
        out.error_code = kThrottledCode;
        out.error_message = RateExceeded(*view, index);
      }
      positions = std::move(kept);
      it = positions.empty() ? routed->by_shard.erase(it) : std::next(it);
    }
    if (routed->by_shard.empty()) {
      PutRecordsResult& result = state->result;
      for (const auto& e : result.entries) result.failed_count += e.ok() ? 0 : 1;
      return state->done(std::move(result));
    }
  }
  if (options_.usage != nullptr) {
    CountOnDemandWrites(*options_.usage, *view, state->request, routed->by_shard);
  }
  state->pending = routed->by_shard.size();
  for (auto& [index, positions] : routed->by_shard) {
    uint64_t min_counter = routed->ordered_shard == index ? routed->min_counter : 0;
    AppendShard(state, view, index, std::move(positions), min_counter, 0);
  }
}

void DataPlane::AppendShard(std::shared_ptr<PutState> state,
                            std::shared_ptr<const StreamView> view, uint32_t index,
                            std::vector<size_t> positions, uint64_t min_counter, int attempt) {
  const ShardRecord& shard = *view->FindShard(index);
  storage::AppendRequest append;
  append.shard = KeyOf(*view, shard);
  append.min_counter = min_counter;
  append.records.reserve(positions.size());
  for (size_t p : positions) {
    const PutEntry& e = state->request.entries[p];
    append.records.push_back({e.partition_key, e.data});
  }
  // `shard` lives in `view`, which the callback keeps alive.
  engine_.Append(std::move(append), [this, state, view, &shard, positions = std::move(positions),
                                     attempt](storage::StorageResult<storage::AppendResult> r) mutable {
    if (!r.ok() && r.code() == storage::StorageErrc::kSealed && attempt < kMaxReroutes) {
      return Reroute(std::move(state), std::move(positions), attempt + 1);
    }
    for (size_t j = 0; j < positions.size(); ++j) {
      PutResultEntry& out = state->result.entries[positions[j]];
      if (r.ok()) {
        out.shard_id = ShardIdString(shard.index);
        out.sequence_number = SequenceNumberOf(shard, r->first_counter + j, r->arrival_ms);
      } else {
        out.error_code = "InternalFailure";
        out.error_message = "Internal Service Failure";
      }
    }
    FinishShard(*state);
  });
}

// A reshard closed the shard after the request took its snapshot: the entries go to the open
// shards of the current one (the new snapshot was published before the seal).
void DataPlane::Reroute(std::shared_ptr<PutState> state, std::vector<size_t> positions,
                        int attempt) {
  auto view_or = streams_.View(state->request.stream);
  std::map<uint32_t, std::vector<size_t>> by_shard;
  if (view_or.ok()) {
    for (size_t p : positions) {
      const PutEntry& e = state->request.entries[p];
      uint128 hash = e.explicit_hash_key ? *ParseUint128(*e.explicit_hash_key)
                                         : Md5HashKey(e.partition_key);
      by_shard[(*view_or)->Route(hash).index].push_back(p);
    }
  }
  if (by_shard.empty()) {  // the stream is gone
    for (size_t p : positions) {
      state->result.entries[p].error_code = "InternalFailure";
      state->result.entries[p].error_message = "Internal Service Failure";
    }
    return FinishShard(*state);
  }
  // This shard's completion becomes that of its replacements.
  state->pending.fetch_add(by_shard.size() - 1, std::memory_order_acq_rel);
  for (auto& [index, group] : by_shard) {
    AppendShard(state, *view_or, index, std::move(group), 0, attempt);
  }
}

void DataPlane::FinishShard(PutState& state) {
  if (state.pending.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  PutRecordsResult& result = state.result;
  for (const auto& e : result.entries) result.failed_count += e.ok() ? 0 : 1;
  if (state.request.single && result.failed_count > 0) {
    return state.done({Errc::kInternal, "Internal Service Failure"});
  }
  state.done(std::move(result));
}

void DataPlane::SealShards(uint64_t revision, const std::vector<uint32_t>& shards) {
  std::vector<storage::ShardKey> keys;
  for (uint32_t index : shards) keys.push_back(storage::ShardKey{revision, index});
  SealAndWait(keys);
}

void DataPlane::SealClosedShards() {
  std::vector<storage::ShardKey> keys;
  for (const auto& view : streams_.AllViews()) {
    for (const auto& shard : view->shards) {
      if (!shard.open()) keys.push_back(KeyOf(*view, shard));
    }
  }
  SealAndWait(keys);
}

// Blocks until every seal completed: one trip through the engine's pipeline. Seal callbacks
// never take the service's lock, which the reshard caller may hold.
void DataPlane::SealAndWait(const std::vector<storage::ShardKey>& keys) {
  struct Latch {
    std::mutex mu;
    std::condition_variable cv;
    size_t left = 0;
  };
  auto latch = std::make_shared<Latch>();
  latch->left = keys.size();
  for (const auto& key : keys) {
    engine_.Seal(key, [latch] {
      std::lock_guard<std::mutex> lock(latch->mu);
      if (--latch->left == 0) latch->cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(latch->mu);
  latch->cv.wait(lock, [&] { return latch->left == 0; });
}

std::string DataPlane::SealIterator(const StreamView& view, uint32_t shard,
                                    uint64_t position) const {
  TokenFields f;
  f.Add(kIteratorKind).Add(view.name).AddInt(static_cast<int64_t>(view.revision)).AddInt(shard)
      .Add(std::to_string(position));
  return SealPageToken(f, clock_.NowMs(), streams_.options().token_key);
}

SvcResult<uint64_t> DataPlane::StartPosition(const StreamView& view, const ShardRecord& shard,
                                             const GetShardIteratorRequest& r) const {
  const std::string& account = streams_.options().account_id;
  const char* type_name = r.type == IteratorType::kTrimHorizon ? "TRIM_HORIZON"
                          : r.type == IteratorType::kLatest    ? "LATEST"
                          : r.type == IteratorType::kAtTimestamp ? "AT_TIMESTAMP"
                          : r.type == IteratorType::kAtSequenceNumber ? "AT_SEQUENCE_NUMBER"
                                                                      : "AFTER_SEQUENCE_NUMBER";
  bool by_seq = r.type == IteratorType::kAtSequenceNumber ||
                r.type == IteratorType::kAfterSequenceNumber;
  if (by_seq != r.starting_sequence_number.has_value()) {
    return {Errc::kInvalidArgument,
            fmt::format("Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
                        "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no "
                        "StartingSequenceNumber. Request specified {} and {}.",
                        type_name, by_seq ? "no StartingSequenceNumber" : "also a StartingSequenceNumber")};
  }
  storage::ShardKey key = KeyOf(view, shard);
  switch (r.type) {
    case IteratorType::kTrimHorizon:
      return uint64_t{0};
    case IteratorType::kLatest: {
      auto pos = engine_.Positions(key);
      if (!pos.ok()) return {Errc::kInternal, pos.message()};
      return pos->durable_next;
    }
    case IteratorType::kAtTimestamp: {
      if (!r.timestamp_ms) {
        return {Errc::kInvalidArgument,
                "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. "
                "Current request has no timestamp parameter."};
      }
      int64_t now = clock_.NowMs();
      if (*r.timestamp_ms > now) {
        return {Errc::kInvalidArgument,
                fmt::format("The timestampInMillis parameter cannot be greater than the "
                            "currentTimestampInMillis. timestampInMillis: {}, "
                            "currentTimestampInMillis: {}",
                            *r.timestamp_ms, now)};
      }
      auto at = engine_.SeekTime(key, *r.timestamp_ms);
      if (!at.ok()) return {Errc::kInternal, at.message()};
      return *at;
    }
    case IteratorType::kAtSequenceNumber:
    case IteratorType::kAfterSequenceNumber:
      break;
  }
  auto seq = SequenceNumber::Parse(*r.starting_sequence_number);
  std::string shard_id = ShardIdString(shard.index);
  if (!seq) {
    return {Errc::kInvalidArgument,
            fmt::format("StartingSequenceNumber {} used in GetShardIterator on shard {} in stream "
                        "{} under account {} is invalid.",
                        *r.starting_sequence_number, shard_id, view.name, account)};
  }
  if (seq->shard_index != shard.index) {
    return {Errc::kInvalidArgument,
            fmt::format("Invalid StartingSequenceNumber. It encodes {}, while it was used in a "
                        "call to a shard with {}",
                        ShardIdString(seq->shard_index), shard_id)};
  }
  if (seq->create_secs != static_cast<uint64_t>(shard.created_ms / 1000)) {
    return {Errc::kInvalidArgument,
            fmt::format("StartingSequenceNumber {} used in GetShardIterator on shard {} in stream "
                        "{} under account {} is invalid because it did not come from this "
                        "stream.",
                        *r.starting_sequence_number, shard_id, view.name, account)};
  }
  if (r.type == IteratorType::kAtSequenceNumber) return seq->counter;
  return seq->counter == SequenceNumber::kMaxCounter ? seq->counter : seq->counter + 1;
}

SvcResult<ShardCursor> DataPlane::Seek(const GetShardIteratorRequest& r) {
  auto view_or = streams_.View(r.stream);
  if (!view_or.ok()) return view_or.status();
  std::shared_ptr<const StreamView> view = *view_or;
  const std::string& account = streams_.options().account_id;
  auto index = ParseShardId(r.shard_id);
  if (!index) {
    return {Errc::kResourceNotFound,
            fmt::format("Could not find shard {} in stream {} under account {}.", r.shard_id,
                        view->name, account)};
  }
  const ShardRecord* shard = view->FindShard(*index);
  if (shard == nullptr || view->status == StreamStatus::kCreating) {
    return {Errc::kResourceNotFound,
            fmt::format("Shard {} in stream {} under account {} does not exist",
                        ShardIdString(*index), view->name, account)};
  }
  auto pos = StartPosition(*view, *shard, r);
  if (!pos.ok()) return pos.status();
  return ShardCursor{std::move(view), shard->index, *pos};
}

SvcResult<std::string> DataPlane::GetShardIterator(const GetShardIteratorRequest& r) {
  auto cursor = Seek(r);
  if (!cursor.ok()) return cursor.status();
  if (!limiter_.AdmitIterator(LimitKeyOf(*cursor->view, cursor->shard))) {
    return {Errc::kProvisionedThroughputExceeded, RateExceeded(*cursor->view, cursor->shard)};
  }
  return SealIterator(*cursor->view, cursor->shard, cursor->position);
}

SvcResult<GetRecordsResult> DataPlane::GetRecords(const GetRecordsRequest& r) {
  const std::string& key = streams_.options().token_key;
  auto opened = OpenSealedToken(r.shard_iterator, key);
  if (!opened.ok() || opened->fields.size() != 5 || opened->fields[0] != kIteratorKind) {
    return {Errc::kInvalidArgument, "Invalid ShardIterator."};
  }
  int64_t now = clock_.NowMs();
  if (opened->ExpiredAt(now, options_.iterator_ttl_ms)) {
    return {Errc::kExpiredIterator,
            fmt::format("Iterator expired. The iterator was created at time {} while right now "
                        "it is {} which is further in the future than the tolerated delay of {} "
                        "milliseconds.",
                        JavaDate(opened->issued_ms), JavaDate(now), options_.iterator_ttl_ms)};
  }
  const auto& f = opened->fields;
  std::shared_ptr<const StreamView> view = streams_.ViewByName(f[1]);
  if (view == nullptr || std::to_string(view->revision) != f[2]) {
    return {Errc::kResourceNotFound, NotFound(f[1])};
  }
  uint32_t index = static_cast<uint32_t>(std::stoul(f[3]));
  uint64_t from = std::stoull(f[4]);
  const ShardRecord* shard = view->FindShard(index);
  if (shard == nullptr) {
    return {Errc::kResourceNotFound,
            fmt::format("Shard {} in stream {} under account {} does not exist",
                        ShardIdString(index), view->name, streams_.options().account_id)};
  }
  // The shard's shared read budget: checked before reading, charged with what was read.
  const LimiterKey lkey = LimitKeyOf(*view, index);
  if (!limiter_.AdmitRead(lkey)) {
    return {Errc::kProvisionedThroughputExceeded, RateExceeded(*view, index)};
  }
  auto read = ReadAt(*view, *shard, from, static_cast<size_t>(r.limit.value_or(10000)),
                     static_cast<size_t>(options_.max_get_records_bytes));
  if (!read.ok()) return read.status();
  limiter_.ChargeRead(lkey, read->bytes);
  if (!read->ended) read->result.next_shard_iterator = SealIterator(*view, index, read->next);
  return std::move(read->result);
}

SvcResult<ShardRead> DataPlane::ReadAt(const StreamView& view, const ShardRecord& shard,
                                       uint64_t from, size_t max_records, size_t max_bytes) {
  storage::ShardKey skey = KeyOf(view, shard);
  auto read = engine_.Read(skey, from, max_records, max_bytes);
  if (!read.ok()) return {Errc::kInternal, read.message()};
  auto positions = engine_.Positions(skey);
  if (!positions.ok()) return {Errc::kInternal, positions.message()};

  int64_t now = clock_.NowMs();
  ShardRead out;
  out.result.encryption = view.encryption;
  out.result.pin = read->pin;
  int64_t cutoff = now - view.retention_ms();
  for (const auto& rec : read->records) {
    if (rec.arrival_ms < cutoff) continue;  // past retention, even if not yet trimmed
    out.bytes += static_cast<int64_t>(rec.partition_key.size() + rec.data.size());
    out.result.records.push_back(OutRecord{SequenceNumberOf(shard, rec.counter, rec.arrival_ms),
                                           rec.arrival_ms, rec.partition_key, rec.data});
  }
  // A position below the shard's first record (TRIM_HORIZON is 0; counters start at 1)
  // continues from that record, so an empty closed shard ends on the first call.
  out.next = std::max(read->next_counter, positions->first_counter);
  bool caught_up = out.next >= positions->durable_next;
  if (caught_up) {
    out.result.millis_behind_latest = 0;
  } else {
    int64_t last = read->records.empty() ? now : read->records.back().arrival_ms;
    out.result.millis_behind_latest = std::max<int64_t>(0, positions->last_arrival_ms - last);
  }
  if (!shard.open() && positions->sealed && caught_up && out.result.records.empty()) {
    // The end of a closed shard (its log final: no append racing with the reshard is still
    // in flight): the children to continue with.
    out.ended = true;
    for (const auto& child : view.shards) {
      if (child.parent != shard.index && child.adjacent_parent != shard.index) continue;
      ChildShardInfo c;
      c.shard_id = ShardIdString(child.index);
      c.parent_shards.push_back(ShardIdString(*child.parent));
      if (child.adjacent_parent) c.parent_shards.push_back(ShardIdString(*child.adjacent_parent));
      c.starting_hash_key = child.starting_hash_key;
      c.ending_hash_key = child.ending_hash_key;
      out.result.child_shards.push_back(std::move(c));
    }
  }
  return out;
}

int64_t DataPlane::EnforceRetention() {
  int64_t now = clock_.NowMs();
  for (const auto& view : streams_.AllViews()) {
    for (const auto& shard : view->shards) {
      IgnoreError(engine_.Trim(KeyOf(*view, shard), now - view->retention_ms()));
    }
  }
  return now + kRetentionPassMs;
}

}  // namespace shoal::service
