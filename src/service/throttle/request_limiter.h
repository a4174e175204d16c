#pragma once
// Control-plane rate limits (kinesis-api-spec.md §3.2): calls per second per operation, per
// account or per stream, answered with LimitExceededException "Rate exceeded for ...". The
// rates come from the LimitProfile (none when it is `off`); each bucket holds one second's
// worth. Buckets are created on first use and dropped once idle (full again).
//
// Thread-safety: thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "service/errors.h"
#include "service/throttle/limits.h"
#include "service/throttle/token_bucket.h"

namespace shoal::service {

class RequestLimiter {
 public:
  static constexpr int64_t kIdleDropNs = 60'000'000'000;

  // `clock` must outlive the limiter.
  RequestLimiter(Clock& clock, LimitProfile profile, std::string account_id);

  // Counts one call of `op` naming `stream` (may be empty); kLimitExceeded when over the
  // operation's rate. Operations without a control-plane rate always pass.
  SvcStatus Admit(std::string_view op, std::string_view stream);

  size_t TrackedBuckets() const;

 private:
  struct Entry {
    TokenBucket bucket;
    int64_t last_used_ns = 0;
  };

  Clock& clock_;
  const LimitProfile profile_;
  const std::string account_id_;
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> buckets_;  // GUARDED_BY(mu_); "op" or "op\0stream"
  int64_t next_sweep_ns_ = 0;                           // GUARDED_BY(mu_)
};

}  // namespace shoal::service
