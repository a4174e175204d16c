#pragma once
// Latency histogram with bounded relative error (log-linear buckets, as in HdrHistogram):
// exact below 128 ns, then 128 buckets per power of two, so a reported percentile is within
// 0.8 % of the true sample. Fixed size (about 60 KiB), no allocation when recording, and
// mergeable, so each worker thread keeps its own and the runner adds them up.
// Not thread-safe.

#include <array>
#include <cstddef>
#include <cstdint>

namespace shoal::loadgen {

class Histogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr uint64_t kSub = uint64_t{1} << kSubBits;  // 128
  static constexpr int kMaxExponent = 45;                      // values clamp at ~35,000 s
  static constexpr size_t kBuckets = kSub + (kMaxExponent - kSubBits + 1) * kSub;

  void Record(uint64_t nanos);
  void Merge(const Histogram& other);

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }
  // The value at percentile p (0 < p <= 100): the upper edge of the bucket holding the sample
  // of rank ceil(p/100 * count), never above max(). 0 when empty.
  uint64_t Percentile(double p) const;

  static size_t BucketOf(uint64_t nanos);
  static uint64_t BucketUpper(size_t bucket);

 private:
  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace shoal::loadgen
