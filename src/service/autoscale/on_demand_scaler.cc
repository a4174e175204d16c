#include "service/autoscale/on_demand_scaler.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "service/hash_ranges.h"

namespace shoal::service {
namespace {

// The number of hash keys in [start, end] as a double (2^128 for the whole space).
double Width(uint128 start, uint128 end) { return static_cast<double>(end - start) + 1.0; }

}  // namespace

uint128 MiddleKey(uint128 start, uint128 end) { return start + (end - start) / 2 + 1; }

double OnDemandScaler::Units(const WriteCounts& c, int64_t duration_ms) const {
  if (duration_ms <= 0) return 0;
  double secs = static_cast<double>(duration_ms) / 1000.0;
  double by_bytes = static_cast<double>(c.bytes) / secs / options_.shard_bytes_per_sec;
  double by_records = static_cast<double>(c.records) / secs / options_.shard_records_per_sec;
  return std::max(by_bytes, by_records);
}

void OnDemandScaler::Observe(uint64_t stream, int64_t from_ms, int64_t to_ms,
                             const std::map<uint32_t, WriteCounts>& by_shard) {
  if (to_ms <= from_ms) return;
  StreamState& s = streams_[stream];
  s.samples.push_back(Sample{from_ms, to_ms, by_shard});
  // Keep the shortest run of recent samples that still covers the window.
  while (s.samples.size() > 1 && s.samples[1].from_ms <= to_ms - options_.window_ms) {
    s.samples.pop_front();
  }
  if (!Full(s)) return;
  // The peak is kept in (at most ~30) buckets, each the highest sustained usage seen in it.
  const int64_t width = std::max<int64_t>(1, options_.peak_window_ms / 30);
  double units = StreamUnits(s);
  if (s.peaks.empty() || s.peaks.back().start_ms + width <= to_ms) {
    s.peaks.push_back(PeakBucket{to_ms, units});
  } else {
    s.peaks.back().units = std::max(s.peaks.back().units, units);
  }
  while (!s.peaks.empty() && s.peaks.front().start_ms + width <= to_ms - options_.peak_window_ms) {
    s.peaks.pop_front();
  }
}

bool OnDemandScaler::Full(const StreamState& s) const {
  return !s.samples.empty() &&
         s.samples.back().to_ms - s.samples.front().from_ms >= options_.window_ms;
}

double OnDemandScaler::StreamUnits(const StreamState& s) const {
  WriteCounts total;
  int64_t duration = 0;
  for (const Sample& sample : s.samples) {
    duration += sample.to_ms - sample.from_ms;
    for (const auto& [index, c] : sample.by_shard) {
      total.bytes += c.bytes;
      total.records += c.records;
    }
  }
  return Units(total, duration);
}

std::map<uint32_t, double> OnDemandScaler::ShardUnits(const StreamState& s) const {
  std::map<uint32_t, double> out;
  if (s.samples.empty()) return out;
  for (const auto& [index, unused] : s.samples.back().by_shard) {
    WriteCounts total;
    int64_t duration = 0;
    bool everywhere = true;
    for (const Sample& sample : s.samples) {
      auto it = sample.by_shard.find(index);
      if (it == sample.by_shard.end()) {
        everywhere = false;
        break;
      }
      total.bytes += it->second.bytes;
      total.records += it->second.records;
      duration += sample.to_ms - sample.from_ms;
    }
    if (everywhere) out[index] = Units(total, duration);
  }
  return out;
}

double OnDemandScaler::Peak(const StreamState& s) const {
  double peak = 0;
  for (const PeakBucket& b : s.peaks) peak = std::max(peak, b.units);
  return peak;
}

int64_t OnDemandScaler::TargetShards(double peak_units) const {
  // The tolerance keeps an exact 2.0 from becoming 3 through rounding noise.
  auto wanted = static_cast<int64_t>(std::ceil(2 * peak_units - 1e-9));
  return std::clamp<int64_t>(wanted, options_.min_shards, options_.max_shards);
}

std::optional<ScalingAction> OnDemandScaler::Decide(uint64_t stream,
                                                    std::span<const ShardSlot> open,
                                                    int64_t now_ms) const {
  auto it = streams_.find(stream);
  if (it == streams_.end() || open.empty()) return std::nullopt;
  const StreamState& s = it->second;
  if (!Full(s)) return std::nullopt;
  if (s.last_step_ms && now_ms - *s.last_step_ms < options_.cooldown_ms) return std::nullopt;

  std::vector<ShardSlot> sorted(open.begin(), open.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const ShardSlot& a, const ShardSlot& b) { return a.start < b.start; });
  const auto count = static_cast<int64_t>(sorted.size());
  const double sustained = StreamUnits(s);
  const double peak = Peak(s);
  const int64_t target = TargetShards(peak);
  const std::map<uint32_t, double> units = ShardUnits(s);

  // 1. The stream as a whole needs more capacity: uniform scaling, at most doubling.
  if (count < target) {
    ScalingAction a;
    a.kind = ScalingAction::Kind::kUniform;
    a.target = std::min(target, 2 * count);
    a.reason = fmt::format("scale out: sustained {:.2f}, peak {:.2f} shards' worth needs {}",
                           sustained, peak, target);
    return a;
  }
  // 2. A hot shard (skewed traffic): split the hottest in the middle of its range.
  const ShardSlot* hottest = nullptr;
  double hot_units = 0;
  for (const ShardSlot& shard : sorted) {
    auto u = units.find(shard.index);
    if (u != units.end() && u->second > hot_units) {
      hottest = &shard;
      hot_units = u->second;
    }
  }
  const uint128 min_width = kUint128Max / static_cast<uint128>(std::max<int64_t>(1, options_.max_shards));
  const double mean = sustained / static_cast<double>(count);
  if (hottest != nullptr && hot_units > options_.split_threshold &&
      hot_units > options_.skew_factor * mean && count < options_.max_shards &&
      hottest->end - hottest->start >= std::max<uint128>(min_width, 3)) {
    ScalingAction a;
    a.kind = ScalingAction::Kind::kSplit;
    a.shard = hottest->index;
    a.split_key = MiddleKey(hottest->start, hottest->end);
    a.target = count + 1;
    a.reason = fmt::format("hot shard: {:.2f} of its capacity, stream mean {:.2f}", hot_units,
                           mean);
    return a;
  }
  // 3. More shards than the peak asks for: scale in, by halves when the traffic allows.
  if (count > target) {
    auto a = ScaleIn(sorted, units, std::max(target, (count + 1) / 2));
    if (a) {
      a->reason = fmt::format("scale in: sustained {:.2f}, peak {:.2f} shards' worth needs {}; {}",
                              sustained, peak, target, a->reason);
    }
    return a;
  }
  return std::nullopt;
}

std::optional<ScalingAction> OnDemandScaler::ScaleIn(std::span<const ShardSlot> sorted,
                                                     const std::map<uint32_t, double>& units,
                                                     int64_t target) const {
  const auto count = static_cast<int64_t>(sorted.size());
  // Only once every open shard has been observed for a full window (not right after a step).
  bool all_known = std::all_of(sorted.begin(), sorted.end(), [&](const ShardSlot& s) {
    return units.count(s.index) > 0;
  });
  if (!all_known) return std::nullopt;
  // Uniform scaling to `target`, if no new shard would be loaded above the merge ceiling
  // (traffic assumed even within each old shard).
  {
    double worst = 0;
    for (const HashRange& r : EvenHashRanges(static_cast<uint32_t>(target))) {
      double predicted = 0;
      for (const ShardSlot& o : sorted) {
        if (o.end < r.start || o.start > r.end) continue;
        double overlap = Width(std::max(o.start, r.start), std::min(o.end, r.end));
        predicted += units.at(o.index) * overlap / Width(o.start, o.end);
      }
      worst = std::max(worst, predicted);
    }
    if (worst <= options_.merge_ceiling) {
      ScalingAction a;
      a.kind = ScalingAction::Kind::kUniform;
      a.target = target;
      a.reason = fmt::format("uniform to {}, busiest new shard {:.2f}", target, worst);
      return a;
    }
  }
  // Otherwise the coldest pair of neighbours whose sum stays under the ceiling.
  std::optional<size_t> best;
  double best_sum = 0;
  for (size_t i = 0; i + 1 < sorted.size(); ++i) {
    double sum = units.at(sorted[i].index) + units.at(sorted[i + 1].index);
    if (sum <= options_.merge_ceiling && (!best || sum < best_sum)) {
      best = i;
      best_sum = sum;
    }
  }
  if (!best) return std::nullopt;
  ScalingAction a;
  a.kind = ScalingAction::Kind::kMerge;
  a.shard = sorted[*best].index;
  a.adjacent = sorted[*best + 1].index;
  a.target = count - 1;
  a.reason = fmt::format("merge of two cold neighbours, together {:.2f}", best_sum);
  return a;
}

void OnDemandScaler::Stepped(uint64_t stream, int64_t now_ms) {
  streams_[stream].last_step_ms = now_ms;
}

void OnDemandScaler::Retain(const std::vector<uint64_t>& live) {
  std::unordered_set<uint64_t> keep(live.begin(), live.end());
  std::erase_if(streams_, [&](const auto& kv) { return keep.count(kv.first) == 0; });
}

std::optional<double> OnDemandScaler::SustainedUnits(uint64_t stream) const {
  auto it = streams_.find(stream);
  if (it == streams_.end() || !Full(it->second)) return std::nullopt;
  return StreamUnits(it->second);
}

std::optional<double> OnDemandScaler::PeakUnits(uint64_t stream) const {
  auto it = streams_.find(stream);
  if (it == streams_.end() || !Full(it->second)) return std::nullopt;
  return Peak(it->second);
}

}  // namespace shoal::service
