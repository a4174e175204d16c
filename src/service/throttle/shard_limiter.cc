#include "service/throttle/shard_limiter.h"

namespace shoal::service {

ShardLimiter::ShardLimiter(Clock& clock, ShardLimits limits) : clock_(clock), limits_(limits) {}

ShardLimiter::ShardState& ShardLimiter::StateLocked(LimiterKey key, int64_t now_ns) {
  if (now_ns >= next_sweep_ns_) SweepLocked(now_ns);
  auto it = shards_.find(key);
  if (it == shards_.end()) {
    ShardState s;
    s.write_bytes = TokenBucket(limits_.write_bytes, limits_.write_bytes, now_ns);
    s.write_records = TokenBucket(limits_.write_records, limits_.write_records, now_ns);
    s.read_bytes = TokenBucket(limits_.read_bytes, limits_.read_bytes, now_ns);
    s.read_calls = TokenBucket(limits_.read_calls, limits_.read_calls, now_ns);
    s.iterator_calls = TokenBucket(limits_.iterator_calls, limits_.iterator_calls, now_ns);
    it = shards_.emplace(key, s).first;
  }
  it->second.last_used_ns = now_ns;
  return it->second;
}

void ShardLimiter::SweepLocked(int64_t now_ns) {
  std::erase_if(shards_, [now_ns](const auto& kv) {
    return now_ns - kv.second.last_used_ns >= kIdleDropNs;
  });
  next_sweep_ns_ = now_ns + kIdleDropNs / 4;
}

size_t ShardLimiter::AdmitWrites(LimiterKey key, std::span<const int64_t> sizes,
                                 std::vector<char>& admitted) {
  admitted.assign(sizes.size(), 1);
  if (!limits_.enabled) return sizes.size();
  int64_t now = clock_.MonotonicNs();
  std::lock_guard lock(mu_);
  ShardState& s = StateLocked(key, now);
  size_t n = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    double bytes = static_cast<double>(sizes[i]);
    // Both budgets or neither: a refused record costs nothing.
    if (s.write_records.CanTake(1, now) && s.write_bytes.CanTake(bytes, now)) {
      s.write_records.Charge(1, now);
      s.write_bytes.Charge(bytes, now);
      ++n;
    } else {
      admitted[i] = 0;
    }
  }
  return n;
}

bool ShardLimiter::AdmitRead(LimiterKey key) {
  if (!limits_.enabled) return true;
  int64_t now = clock_.MonotonicNs();
  std::lock_guard lock(mu_);
  ShardState& s = StateLocked(key, now);
  // In debt after a big read: refused until it is repaid.
  if (s.read_bytes.Level(now) < 0) return false;
  return s.read_calls.TryTake(1, now);
}

void ShardLimiter::ChargeRead(LimiterKey key, int64_t bytes) {
  if (!limits_.enabled || bytes <= 0) return;
  int64_t now = clock_.MonotonicNs();
  std::lock_guard lock(mu_);
  ShardState& s = StateLocked(key, now);
  double b = static_cast<double>(bytes);
  if (s.read_bytes.Level(now) >= b) {
    s.read_bytes.Charge(b, now);
  } else {
    // A breach: the whole call must be repaid from now on (10 MiB at 2 MiB/s → 5 s).
    s.read_bytes.SetLevel(-b, now);
  }
}

bool ShardLimiter::AdmitIterator(LimiterKey key) {
  if (!limits_.enabled) return true;
  int64_t now = clock_.MonotonicNs();
  std::lock_guard lock(mu_);
  return StateLocked(key, now).iterator_calls.TryTake(1, now);
}

void ShardLimiter::ForgetStream(uint64_t revision) {
  std::lock_guard lock(mu_);
  std::erase_if(shards_, [revision](const auto& kv) { return kv.first.revision == revision; });
}

size_t ShardLimiter::TrackedShards() const {
  std::lock_guard lock(mu_);
  return shards_.size();
}

}  // namespace shoal::service
