#include "service/throttle/request_limiter.h"

#include <fmt/format.h>

namespace shoal::service {

RequestLimiter::RequestLimiter(Clock& clock, LimitProfile profile, std::string account_id)
    : clock_(clock), profile_(profile), account_id_(std::move(account_id)) {}

SvcStatus RequestLimiter::Admit(std::string_view op, std::string_view stream) {
  auto rate = profile_.ControlPlaneRate(op);
  if (!rate) return {};
  std::string key(op);
  if (rate->per_stream) {
    key.push_back('\0');
    key.append(stream);
  }
  int64_t now = clock_.MonotonicNs();
  std::lock_guard lock(mu_);
  if (now >= next_sweep_ns_) {
    std::erase_if(buckets_,
                  [now](const auto& kv) { return now - kv.second.last_used_ns >= kIdleDropNs; });
    next_sweep_ns_ = now + kIdleDropNs / 4;
  }
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    it = buckets_.emplace(key, Entry{TokenBucket(rate->per_sec, rate->per_sec, now), now}).first;
  }
  it->second.last_used_ns = now;
  if (it->second.bucket.TryTake(1, now)) return {};
  if (stream.empty()) {
    return {Errc::kLimitExceeded, fmt::format("Rate exceeded for account {}.", account_id_)};
  }
  return {Errc::kLimitExceeded,
          fmt::format("Rate exceeded for stream {} under account {}.", stream, account_id_)};
}

size_t RequestLimiter::TrackedBuckets() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

}  // namespace shoal::service
