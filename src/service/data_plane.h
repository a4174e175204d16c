#pragma once
// The data plane: PutRecord(s), GetShardIterator, GetRecords and retention, on top of the
// stream snapshots of StreamService and the shard logs of storage::LogEngine.
//
// Thread-safety: all methods are thread-safe. PutRecords never blocks: it enqueues appends
// and completes from a storage thread once the records are durable.

#include <cstdint>
#include <functional>
#include <string>

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

class DataPlane {
 public:
  using PutCallback = std::function<void(SvcResult<PutRecordsResult>)>;

  // `streams`, `engine` and `clock` must outlive the data plane.
  DataPlane(StreamService& streams, storage::LogEngine& engine, Clock& clock,
            DataPlaneOptions options);

  // Validates the Kinesis rules, routes every entry to its open shard and appends each
  // shard's entries as one batch. `done` runs exactly once: inline for request errors,
  // otherwise on a storage thread once every batch is durable (or failed). The entries'
  // views must stay valid until then.
  void PutRecords(PutRecordsRequest request, PutCallback done);

  SvcResult<std::string> GetShardIterator(const GetShardIteratorRequest& request);
  SvcResult<GetRecordsResult> GetRecords(const GetRecordsRequest& request);

  // Trims every shard's log to its stream's retention. Returns when to run again.
  int64_t EnforceRetention();

  // Forgets the throughput state of a removed stream revision.
  void ForgetStream(uint64_t revision) { limiter_.ForgetStream(revision); }
  const ShardLimiter& limiter() const { return limiter_; }

 private:
  struct Routed;
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
