#pragma once
// Per-shard write counters of on-demand streams, for the autoscaler: the data plane adds the
// bytes (partition key + data) and records it routes to each shard, and the autoscaler drains
// the totals once per interval. One mutex, taken once per PutRecords request; provisioned
// streams are not counted at all.
//
// Thread-safety: all methods are thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "service/autoscale/on_demand_scaler.h"
#include "service/data_types.h"
#include "service/stream_view.h"

namespace shoal::service {

class UsageMeter {
 public:
  struct ShardWrites {
    uint32_t shard = 0;
    WriteCounts counts;
  };
  // Adds writes to shards of the stream revision `revision`.
  void Add(uint64_t revision, const std::vector<ShardWrites>& writes);
  // The totals since the last call, per stream revision and shard, and starts afresh.
  std::unordered_map<uint64_t, std::map<uint32_t, WriteCounts>> Drain();

 private:
  std::mutex mu_;
  std::unordered_map<uint64_t, std::map<uint32_t, WriteCounts>> counts_;  // GUARDED_BY(mu_)
};

// Counts the entries of `request` routed to each shard (`by_shard`: shard index → entry
// positions) when `view` is an on-demand stream; does nothing for a provisioned one.
void CountOnDemandWrites(UsageMeter& meter, const StreamView& view,
                         const PutRecordsRequest& request,
                         const std::map<uint32_t, std::vector<size_t>>& by_shard);

}  // namespace shoal::service
