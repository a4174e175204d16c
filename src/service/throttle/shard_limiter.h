#pragma once
// Per-shard throughput limits (kinesis-api-spec.md §3.1), enforced by rejection, never delay:
//
//   writes  1 MiB/s (partition key + data) and 1,000 records/s, checked together per record;
//   reads   5 GetRecords calls/s and 2 MiB/s, shared by every reader of the shard. A call that
//           reads past the remaining byte budget puts the shard in debt for the whole call:
//           10 MiB returned → the next 5 s of calls are refused; 2 MiB → the next second;
//   GetShardIterator: 5 calls/s.
//
// Every bucket holds one second's worth, so a shard may burst about one second of traffic
// (as AWS does). State is created lazily per (stream revision, shard index) and forgotten once
// a shard has been idle long enough that fresh state would be the same (all buckets full), or
// when its stream is removed; idle shards cost nothing.
//
// Thread-safety: all methods are thread-safe (one mutex, taken once per call).

#include <cstdint>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "service/throttle/limits.h"
#include "service/throttle/token_bucket.h"

namespace shoal::service {

struct LimiterKey {
  uint64_t revision = 0;  // the stream's revision (a re-created stream starts afresh)
  uint32_t shard = 0;
  bool operator==(const LimiterKey&) const = default;
};

class ShardLimiter {
 public:
  // State idle this long is dropped (longer than any debt takes to repay).
  static constexpr int64_t kIdleDropNs = 60'000'000'000;

  // `clock` must outlive the limiter.
  ShardLimiter(Clock& clock, ShardLimits limits);

  bool enabled() const { return limits_.enabled; }
  const ShardLimits& limits() const { return limits_; }

  // Admits the records of one write to `key` in order, each of `sizes[i]` bytes (partition key
  // + data): `admitted[i]` is 1 when record i fits both the byte and the record budget (and is
  // charged), 0 when it is refused. Returns how many were admitted.
  size_t AdmitWrites(LimiterKey key, std::span<const int64_t> sizes,
                     std::vector<char>& admitted);
  // True when one GetRecords call may read now (and counts the call); false: throttled.
  bool AdmitRead(LimiterKey key);
  // Charges the bytes an admitted GetRecords call returned.
  void ChargeRead(LimiterKey key, int64_t bytes);
  // True when one GetShardIterator call may run now (and counts it).
  bool AdmitIterator(LimiterKey key);

  // Drops the state of every shard of a removed stream revision.
  void ForgetStream(uint64_t revision);
  // How many shards have state (for tests).
  size_t TrackedShards() const;

 private:
  struct ShardState {
    TokenBucket write_bytes, write_records, read_bytes, read_calls, iterator_calls;
    int64_t last_used_ns = 0;
  };
  struct KeyHash {
    size_t operator()(const LimiterKey& k) const {
      return std::hash<uint64_t>()(k.revision * 0x9E3779B97F4A7C15ULL ^ k.shard);
    }
  };

  // REQUIRES: mu_ held.
  ShardState& StateLocked(LimiterKey key, int64_t now_ns);
  void SweepLocked(int64_t now_ns);

  Clock& clock_;
  const ShardLimits limits_;
  mutable std::mutex mu_;
  std::unordered_map<LimiterKey, ShardState, KeyHash> shards_;  // GUARDED_BY(mu_)
  int64_t next_sweep_ns_ = 0;                                   // GUARDED_BY(mu_)
};

}  // namespace shoal::service
