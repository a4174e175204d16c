#pragma once
// The decisions of the on-demand autoscaler (docs/design/autoscaling.md), as a pure class:
// it is told, interval after interval, how many bytes and records each shard of an on-demand
// stream took, and answers "given these samples and this shard layout, what one step to take
// now" — a split of a hot shard, a merge of two cold neighbours, or uniform scaling to a new
// shard count. No I/O, no clock: times are passed in, so tests drive it with plain numbers.
// The driver (autoscaler.h) applies each step as one ReshardCmd and reports it back.
//
// Not thread-safe: one driver thread owns it.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/uint128.h"

namespace shoal::service {

struct ScalerOptions {
  // One shard's write capacity (AWS: 1 MiB/s and 1,000 records/s; the --limits profile's
  // numbers when throttling is on, so capacity and throttling agree).
  double shard_bytes_per_sec = 1024 * 1024;
  double shard_records_per_sec = 1000;
  // "Sustained" traffic is the average over the last window_ms.
  int64_t window_ms = 60'000;
  // At least this long between two steps of one stream.
  int64_t cooldown_ms = 60'000;
  // The stream keeps capacity for double its peak sustained traffic of this long.
  int64_t peak_window_ms = 24 * 3'600'000;
  int64_t min_shards = 4;  // AWS's default on-demand capacity: 4 MiB/s, 4,000 records/s
  int64_t max_shards = 10'000;
  // A shard whose sustained usage is above this fraction of its capacity (AWS: a shard taking
  // more than 500 KB/s is split) and above skew_factor times the stream's mean shard usage is
  // hot and is split. Evenly loaded streams are left to the peak rule (uniform scaling),
  // which leaves each shard at about half its capacity.
  double split_threshold = 0.5;
  double skew_factor = 1.5;
  // Scale-in never creates a shard whose predicted usage is above this fraction (below the
  // split threshold, so a merge is not undone by the next split).
  double merge_ceiling = 0.375;
};

struct WriteCounts {
  int64_t bytes = 0;  // partition keys + data
  int64_t records = 0;
};

// An open shard of the stream, as the scaler needs it.
struct ShardSlot {
  uint32_t index = 0;
  uint128 start = 0;
  uint128 end = 0;  // inclusive
};

struct ScalingAction {
  enum class Kind { kSplit, kMerge, kUniform };
  Kind kind = Kind::kUniform;
  uint32_t shard = 0;     // kSplit: the shard; kMerge: the lower one (ShardToMerge)
  uint32_t adjacent = 0;  // kMerge: the upper one (AdjacentShardToMerge)
  uint128 split_key = 0;  // kSplit: NewStartingHashKey (the middle of the range)
  int64_t target = 0;     // kUniform: the new shard count; the others: open shards after
  std::string reason;     // for the log: the numbers that led to the step
};

class OnDemandScaler {
 public:
  explicit OnDemandScaler(ScalerOptions options) : options_(options) {}

  // Adds what the stream (by revision) took over [from_ms, to_ms). `by_shard` must list every
  // shard open during the interval (zero counts included): a shard absent from a sample is
  // treated as not having existed then. Counts of shards closed meanwhile count towards the
  // stream's total.
  void Observe(uint64_t stream, int64_t from_ms, int64_t to_ms,
               const std::map<uint32_t, WriteCounts>& by_shard);

  // The one step to take now for the stream whose open shards are `open` (any order), or
  // nullopt. Nothing until a full window has been observed, or within the cool-down.
  std::optional<ScalingAction> Decide(uint64_t stream, std::span<const ShardSlot> open,
                                      int64_t now_ms) const;

  // The step Decide proposed was committed at now_ms: starts the cool-down.
  void Stepped(uint64_t stream, int64_t now_ms);

  // Drops the state of every stream not in `live` (deleted, or no longer on-demand).
  void Retain(const std::vector<uint64_t>& live);

  // The stream's sustained usage now and its peak over the peak window, in shards' worth of
  // capacity (nullopt before a full window): for logs and tests.
  std::optional<double> SustainedUnits(uint64_t stream) const;
  std::optional<double> PeakUnits(uint64_t stream) const;
  // The shard count the peak rule asks for: clamp(ceil(2 · peak), min, max).
  int64_t TargetShards(double peak_units) const;

  const ScalerOptions& options() const { return options_; }

 private:
  struct Sample {
    int64_t from_ms = 0;
    int64_t to_ms = 0;
    std::map<uint32_t, WriteCounts> by_shard;
  };
  struct PeakBucket {
    int64_t start_ms = 0;
    double units = 0;
  };
  struct StreamState {
    std::deque<Sample> samples;  // contiguous, the shortest run covering the window
    std::deque<PeakBucket> peaks;
    std::optional<int64_t> last_step_ms;
  };

  double Units(const WriteCounts& c, int64_t duration_ms) const;
  bool Full(const StreamState& s) const;
  // Sustained usage of each shard present in every sample of the window.
  std::map<uint32_t, double> ShardUnits(const StreamState& s) const;
  double StreamUnits(const StreamState& s) const;
  double Peak(const StreamState& s) const;
  std::optional<ScalingAction> ScaleIn(std::span<const ShardSlot> sorted,
                                       const std::map<uint32_t, double>& units,
                                       int64_t target) const;

  ScalerOptions options_;
  std::unordered_map<uint64_t, StreamState> streams_;
};

// The middle of a shard's range as a valid NewStartingHashKey (lower child gets the extra key).
uint128 MiddleKey(uint128 start, uint128 end);

}  // namespace shoal::service
