#pragma once
// The data plane: PutRecord(s), GetShardIterator, GetRecords and retention, on top of the
// stream snapshots of StreamService and the shard logs of storage::LogEngine.
//
// Thread-safety: all methods are thread-safe. PutRecords never blocks: it enqueues appends
// and completes from a storage thread once the records are durable.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "service/data_types.h"
#include "service/errors.h"
#include "service/autoscale/usage_meter.h"
#include "service/stream_service.h"
#include "service/throttle/shard_limiter.h"
#include "storage/log_engine.h"

namespace shoal::service {

struct DataPlaneOptions {
  int64_t iterator_ttl_ms = 300'000;
  // The largest PutRecords request, counting partition keys and data.
  int64_t max_put_records_bytes = 10 * 1024 * 1024;
  // The most a GetRecords response returns (partition keys and data).
  int64_t max_get_records_bytes = 10 * 1024 * 1024;
  // Per-shard throughput limits (the server passes its --limits profile; off by default here).
  ShardLimits limits;
  // Where the writes of on-demand streams are counted for the autoscaler (none: not counted).
  // Must outlive the data plane.
  UsageMeter* usage = nullptr;
};

// A position in one shard: where GetShardIterator's rules put a reader.
struct ShardCursor {
  std::shared_ptr<const StreamView> view;
  uint32_t shard = 0;     // index into the view's shards (by shard index)
  uint64_t position = 0;  // the next record counter to read
};

// One read of a shard from a position (GetRecords without the iterator).
struct ShardRead {
  GetRecordsResult result;  // records, MillisBehindLatest, ChildShards at the end; no iterator
  uint64_t next = 0;        // where the next read continues
  bool ended = false;       // a closed shard's end: nothing will ever follow
  int64_t bytes = 0;        // partition keys + data returned
};

// The AWS-format sequence number of record `counter` of `shard`.
std::string ShardSequenceNumber(const meta::ShardRecord& shard, uint64_t counter,
                                int64_t arrival_ms);

class DataPlane {
 public:
  using PutCallback = std::function<void(SvcResult<PutRecordsResult>)>;

  // `streams`, `engine` and `clock` must outlive the data plane. Installs the streams'
  // shards-closed hook (so construct it before the service is shared between threads) and
  // seals the logs of every shard already closed. Once a reshard has returned, its closed
  // shards' logs are final.
  DataPlane(StreamService& streams, storage::LogEngine& engine, Clock& clock,
            DataPlaneOptions options);

  // Validates the Kinesis rules, routes every entry to its open shard and appends each
  // shard's entries as one batch. `done` runs exactly once: inline for request errors,
  // otherwise on a storage thread once every batch is durable (or failed). The entries'
  // views must stay valid until then.
  void PutRecords(PutRecordsRequest request, PutCallback done);

  SvcResult<std::string> GetShardIterator(const GetShardIteratorRequest& request);
  SvcResult<GetRecordsResult> GetRecords(const GetRecordsRequest& request);

  // GetShardIterator's lookups and starting-position rules, without its rate limit.
  SvcResult<ShardCursor> Seek(const GetShardIteratorRequest& request);
  // Reads `shard` of `view` from `from` (records past retention left out), without the
  // shard's read limits. REQUIRES: `shard` belongs to `view`.
  SvcResult<ShardRead> ReadAt(const StreamView& view, const meta::ShardRecord& shard,
                              uint64_t from, size_t max_records, size_t max_bytes);
  storage::LogEngine& engine() { return engine_; }

  // Trims every shard's log to its stream's retention. Returns when to run again.
  int64_t EnforceRetention();

  // Forgets the throughput state of a removed stream revision.
  void ForgetStream(uint64_t revision) { limiter_.ForgetStream(revision); }
  const ShardLimiter& limiter() const { return limiter_; }

 private:
  struct Routed;
  struct PutState;
  // Appends the entries at `positions` (all routed to open shard `index` of `view`) and
  // answers the request once its last shard completes. An append refused because a reshard
  // sealed the shard meanwhile is routed again with a fresh snapshot (`attempt` counts that).
  void AppendShard(std::shared_ptr<PutState> state, std::shared_ptr<const StreamView> view,
                   uint32_t index, std::vector<size_t> positions, uint64_t min_counter,
                   int attempt);
  void Reroute(std::shared_ptr<PutState> state, std::vector<size_t> positions, int attempt);
  void FinishShard(PutState& state);
  // Seals the logs of shards a reshard closed (the shards-closed hook): appends racing with
  // the reshard are re-routed to the children, and GetRecords reports the end of a closed
  // shard only once its log is final.
  void SealShards(uint64_t revision, const std::vector<uint32_t>& shards);
  // Seals every closed shard of every stream (seals are not persisted).
  void SealClosedShards();
  void SealAndWait(const std::vector<storage::ShardKey>& keys);
  SvcResult<Routed> Route(const StreamView& view, const PutRecordsRequest& r) const;
  SvcResult<uint64_t> StartPosition(const StreamView& view, const meta::ShardRecord& shard,
                                    const GetShardIteratorRequest& r) const;
  std::string SealIterator(const StreamView& view, uint32_t shard, uint64_t position) const;
  std::string NotFound(const std::string& stream) const;
  std::string RateExceeded(const StreamView& view, uint32_t shard) const;

  StreamService& streams_;
  storage::LogEngine& engine_;
  Clock& clock_;
  const DataPlaneOptions options_;
  ShardLimiter limiter_;
};

}  // namespace shoal::service
