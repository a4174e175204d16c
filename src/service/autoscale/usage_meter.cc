#include "service/autoscale/usage_meter.h"

namespace shoal::service {

void UsageMeter::Add(uint64_t revision, const std::vector<ShardWrites>& writes) {
  std::lock_guard lock(mu_);
  auto& stream = counts_[revision];
  for (const ShardWrites& w : writes) {
    WriteCounts& c = stream[w.shard];
    c.bytes += w.counts.bytes;
    c.records += w.counts.records;
  }
}

std::unordered_map<uint64_t, std::map<uint32_t, WriteCounts>> UsageMeter::Drain() {
  std::lock_guard lock(mu_);
  std::unordered_map<uint64_t, std::map<uint32_t, WriteCounts>> out;
  out.swap(counts_);
  return out;
}

void CountOnDemandWrites(UsageMeter& meter, const StreamView& view,
                         const PutRecordsRequest& request,
                         const std::map<uint32_t, std::vector<size_t>>& by_shard) {
  if (view.mode != meta::StreamMode::kOnDemand) return;
  std::vector<UsageMeter::ShardWrites> writes;
  writes.reserve(by_shard.size());
  for (const auto& [shard, positions] : by_shard) {
    UsageMeter::ShardWrites w;
    w.shard = shard;
    for (size_t p : positions) {
      const PutEntry& e = request.entries[p];
      w.counts.bytes += static_cast<int64_t>(e.partition_key.size() + e.data.size());
      ++w.counts.records;
    }
    writes.push_back(w);
  }
  meter.Add(view.revision, writes);
}

}  // namespace shoal::service
