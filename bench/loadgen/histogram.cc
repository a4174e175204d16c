#include "histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace shoal::loadgen {

size_t Histogram::BucketOf(uint64_t v) {
  if (v < kSub) return static_cast<size_t>(v);
  int e = 63 - std::countl_zero(v);  // >= kSubBits
  if (e > kMaxExponent) return kBuckets - 1;
  uint64_t mantissa = v >> (e - kSubBits);  // in [kSub, 2*kSub)
  return static_cast<size_t>(kSub + (e - kSubBits) * kSub + (mantissa - kSub));
}

uint64_t Histogram::BucketUpper(size_t b) {
  if (b < kSub) return b;
  size_t e = (b - kSub) / kSub + kSubBits;
  uint64_t mantissa = (b - kSub) % kSub + kSub;
  return ((mantissa + 1) << (e - kSubBits)) - 1;
}

void Histogram::Record(uint64_t nanos) {
  ++buckets_[BucketOf(nanos)];
  ++count_;
  sum_ += nanos;
  min_ = std::min(min_, nanos);
  max_ = std::max(max_, nanos);
}

void Histogram::Merge(const Histogram& o) {
  for (size_t i = 0; i < kBuckets; ++i) buckets_[i] += o.buckets_[i];
  count_ += o.count_;
  sum_ += o.sum_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

uint64_t Histogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  auto rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::clamp(BucketUpper(i), min_, max_);
  }
  return max_;
}

}  // namespace shoal::loadgen
