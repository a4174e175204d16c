#include "service/throttle/token_bucket.h"

#include <algorithm>

namespace shoal::service {

void TokenBucket::Refill(int64_t now_ns) {
  if (now_ns <= last_ns_) return;  // time never runs backwards for a bucket
  Fx refill = Fx{rate_} * (now_ns - last_ns_);
  level_ = std::min(capacity_, level_ + refill);
  last_ns_ = now_ns;
}

double TokenBucket::Level(int64_t now_ns) {
  Refill(now_ns);
  return static_cast<double>(level_) / 1e15;
}

bool TokenBucket::CanTake(double n, int64_t now_ns) {
  Refill(now_ns);
  // A request bigger than the whole bucket needs a full bucket, and then goes into debt.
  return level_ >= std::min(Fixed(n), capacity_);
}

bool TokenBucket::TryTake(double n, int64_t now_ns) {
  if (!CanTake(n, now_ns)) return false;
  level_ -= Fixed(n);
  return true;
}

void TokenBucket::Charge(double n, int64_t now_ns) {
  Refill(now_ns);
  level_ -= Fixed(n);
}

void TokenBucket::SetLevel(double level, int64_t now_ns) {
  Refill(now_ns);
  Fx v = level < 0 ? -Fixed(-level) : Fixed(level);
  level_ = std::min(capacity_, v);
}

}  // namespace shoal::service
