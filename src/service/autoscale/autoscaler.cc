#include "service/autoscale/autoscaler.h"

namespace shoal::service {

Autoscaler::Autoscaler(StreamService& streams, UsageMeter& meter, Clock& clock,
                       AutoscalerOptions options)
    : streams_(streams),
      meter_(meter),
      clock_(clock),
      options_(options),
      scaler_(options.scaler) {}

std::vector<ScalingStep> Autoscaler::Tick() {
  const int64_t now = clock_.NowMs();
  next_run_ms_ = now + options_.interval_ms;
  auto counts = meter_.Drain();
  std::optional<int64_t> from = last_tick_ms_;
  last_tick_ms_ = now;
  std::vector<ScalingStep> steps;
  std::vector<uint64_t> live;
  for (const auto& view : streams_.AllViews()) {
    if (view->mode != meta::StreamMode::kOnDemand ||
        view->status == meta::StreamStatus::kCreating ||
        view->status == meta::StreamStatus::kDeleting) {
      continue;
    }
    live.push_back(view->revision);
    std::vector<ShardSlot> open;
    std::map<uint32_t, WriteCounts> sample;
    for (uint32_t i : view->open_by_hash) {
      const meta::ShardRecord& s = view->shards[i];
      open.push_back(ShardSlot{s.index, s.starting_hash_key, s.ending_hash_key});
      sample[s.index];  // open shards are listed even when idle
    }
    // Writes routed just before a reshard may be counted on shards closed since.
    if (auto it = counts.find(view->revision); it != counts.end()) {
      for (const auto& [shard, c] : it->second) {
        sample[shard].bytes += c.bytes;
        sample[shard].records += c.records;
      }
    }
    if (!from) continue;  // the first round only starts the clock
    scaler_.Observe(view->revision, *from, now, sample);
    if (view->status != meta::StreamStatus::kActive) continue;
    auto action = scaler_.Decide(view->revision, open, now);
    if (!action) continue;
    ScalingStep step{view->name, static_cast<int64_t>(open.size()), *action, {}};
    step.status = streams_.ApplyOnDemandScaling(view->name, view->revision, *action);
    if (step.status.ok()) scaler_.Stepped(view->revision, now);
    steps.push_back(std::move(step));
  }
  scaler_.Retain(live);
  return steps;
}

}  // namespace shoal::service
