#include "histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace shoal::loadgen {
namespace {

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 100u);
  EXPECT_EQ(h.Percentile(50), 50u);
  EXPECT_EQ(h.Percentile(99), 99u);
  EXPECT_EQ(h.Percentile(100), 100u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(HistogramTest, BucketsCoverEveryValueOnce) {
  for (uint64_t v : {0ull, 1ull, 127ull, 128ull, 255ull, 256ull, 1000ull, 123456789ull, 1ull << 40}) {
    size_t b = Histogram::BucketOf(v);
    EXPECT_LE(v, Histogram::BucketUpper(b)) << v;
    if (b > 0) {
      EXPECT_GT(v, Histogram::BucketUpper(b - 1)) << v;
    }
  }
}

TEST(HistogramTest, PercentilesWithinRelativeErrorOfSortedSamples) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(12.0, 1.5);  // ~160 us median, long tail
  std::vector<uint64_t> samples;
  Histogram h;
  for (int i = 0; i < 100000; ++i) {
    auto v = static_cast<uint64_t>(dist(rng));
    samples.push_back(v);
    h.Record(v);
  }
  std::sort(samples.begin(), samples.end());
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    auto rank = static_cast<size_t>(std::ceil(p / 100 * samples.size()));
    double exact = static_cast<double>(samples[rank - 1]);
    double got = static_cast<double>(h.Percentile(p));
    EXPECT_NEAR(got, exact, exact / 64) << "p" << p;
  }
  EXPECT_EQ(h.max(), samples.back());
}

TEST(HistogramTest, MergeAddsCounts) {
  Histogram a, b;
  a.Record(1000);
  b.Record(3000);
  b.Record(5000);
  a.Merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.min(), 1000u);
  EXPECT_EQ(a.max(), 5000u);
  EXPECT_EQ(Histogram().Percentile(50), 0u);
}

}  // namespace
}  // namespace shoal::loadgen
