// The on-demand scaler's decisions: given usage samples and a shard layout, what one step.
// Pure: times are plain numbers (no clock, no sleeping).

#include "service/autoscale/on_demand_scaler.h"

#include <gtest/gtest.h>

#include "service/hash_ranges.h"

namespace shoal::service {
namespace {

using Kind = ScalingAction::Kind;

constexpr uint64_t kStream = 7;
constexpr int64_t kMiB = 1024 * 1024;
constexpr int64_t kT0 = 1'000'000;

ScalerOptions Options() {
  ScalerOptions o;  // AWS's shard capacity: 1 MiB/s, 1,000 records/s
  o.window_ms = 10'000;
  o.cooldown_ms = 5'000;
  o.peak_window_ms = 60'000;
  o.min_shards = 4;
  o.max_shards = 64;
  return o;
}

std::vector<ShardSlot> Even(uint32_t n, uint32_t first_index = 0) {
  std::vector<ShardSlot> out;
  for (const HashRange& r : EvenHashRanges(n)) {
    out.push_back(ShardSlot{first_index++, r.start, r.end});
  }
  return out;
}

class ScalerTest : public ::testing::Test {
 protected:
  // Feeds `seconds` one-second samples in which shard i takes bytes_per_sec[i] bytes and
  // records_per_sec[i] records (missing entries: 0). Shards are those of `layout`.
  void Feed(const std::vector<ShardSlot>& layout, int seconds,
            const std::vector<double>& mib_per_sec, const std::vector<int64_t>& records = {}) {
    for (int s = 0; s < seconds; ++s) {
      std::map<uint32_t, WriteCounts> sample;
      for (size_t i = 0; i < layout.size(); ++i) {
        WriteCounts& c = sample[layout[i].index];
        if (i < mib_per_sec.size()) c.bytes = static_cast<int64_t>(mib_per_sec[i] * kMiB);
        if (i < records.size()) c.records = records[i];
      }
      scaler_.Observe(kStream, now_, now_ + 1000, sample);
      now_ += 1000;
    }
  }
  std::optional<ScalingAction> Decide(const std::vector<ShardSlot>& layout) {
    return scaler_.Decide(kStream, layout, now_);
  }

  OnDemandScaler scaler_{Options()};
  int64_t now_ = kT0;
};

TEST_F(ScalerTest, NothingBeforeAFullWindowHasBeenObserved) {
  auto layout = Even(4);
  Feed(layout, 9, {1, 1, 1, 1});
  EXPECT_FALSE(Decide(layout));
  EXPECT_FALSE(scaler_.SustainedUnits(kStream));
  Feed(layout, 1, {1, 1, 1, 1});
  EXPECT_TRUE(Decide(layout));
  EXPECT_NEAR(*scaler_.SustainedUnits(kStream), 4.0, 1e-9);
}

TEST_F(ScalerTest, NoStepWhileTrafficStaysUnderHalfTheCapacity) {
  auto layout = Even(4);
  Feed(layout, 30, {0.45, 0.45, 0.45, 0.45});
  EXPECT_FALSE(Decide(layout));
  EXPECT_EQ(scaler_.TargetShards(*scaler_.PeakUnits(kStream)), 4);
}

TEST_F(ScalerTest, ScalesOutUniformlyForTwiceTheSustainedTraffic) {
  auto layout = Even(4);
  Feed(layout, 10, {0.6, 0.6, 0.6, 0.6});  // 2.4 MiB/s needs 4.8 → 5 shards
  auto a = Decide(layout);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, Kind::kUniform);
  EXPECT_EQ(a->target, 5);
}

TEST_F(ScalerTest, ScaleOutAtMostDoublesPerStep) {
  auto layout = Even(4);
  Feed(layout, 10, {1, 1, 1, 1});  // 4 MiB/s needs 8
  auto a = Decide(layout);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->target, 8);
  // Records count too: 6,000 records/s of tiny records needs 12 shards; one step gives 8.
  scaler_ = OnDemandScaler(Options());
  Feed(layout, 10, {}, {1500, 1500, 1500, 1500});
  a = Decide(layout);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, Kind::kUniform);
  EXPECT_EQ(a->target, 8);
  EXPECT_EQ(scaler_.TargetShards(*scaler_.PeakUnits(kStream)), 12);
}

TEST_F(ScalerTest, ScaleOutStopsAtMaxShards) {
  auto layout = Even(48);
  std::vector<double> load(48, 0.9);
  Feed(layout, 10, load);
  auto a = Decide(layout);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->target, 64);  // wants 87, at most max_shards
  auto full = Even(64);
  scaler_ = OnDemandScaler(Options());
  Feed(full, 10, std::vector<double>(64, 0.9));
  EXPECT_FALSE(Decide(full));  // hot shards, but no room to split
}

TEST_F(ScalerTest, CooldownSeparatesSteps) {
  auto layout = Even(4);
  Feed(layout, 10, {1, 1, 1, 1});
  ASSERT_TRUE(Decide(layout));
  scaler_.Stepped(kStream, now_);
  auto eight = Even(8, 4);
  Feed(eight, 4, std::vector<double>(8, 1.0));
  EXPECT_FALSE(Decide(eight));  // 4 s after the step: cooling down
  Feed(eight, 1, std::vector<double>(8, 1.0));
  auto a = Decide(eight);  // the window's average is 6 MiB/s now: 12 shards
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, Kind::kUniform);
  EXPECT_EQ(a->target, 12);
}

TEST_F(ScalerTest, SplitsAHotShardInTheMiddleOfItsRange) {
  auto layout = Even(4);
  Feed(layout, 10, {0.05, 0.05, 0.8, 0.05});  // 0.95 MiB/s: the stream is fine, shard 2 is not
  auto a = Decide(layout);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, Kind::kSplit);
  EXPECT_EQ(a->shard, 2u);
  EXPECT_EQ(a->split_key, layout[2].start + (layout[2].end - layout[2].start) / 2 + 1);
  EXPECT_EQ(a->target, 5);
  EXPECT_EQ(MiddleKey(0, kUint128Max), uint128{1} << 127);
}

TEST_F(ScalerTest, HotByRecordsAlsoSplits) {
  auto layout = Even(4);
  Feed(layout, 10, {}, {0, 600, 0, 0});
  auto a = Decide(layout);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, Kind::kSplit);
  EXPECT_EQ(a->shard, 1u);
}

TEST_F(ScalerTest, NewShardsAreNotJudgedBeforeAFullWindow) {
  auto layout = Even(4);
  Feed(layout, 10, {0.05, 0.05, 0.05, 0.05});
  // Shard 2 was just split into 4 and 5: hot, but only 3 s of samples so far.
  std::vector<ShardSlot> after = {layout[0], layout[1], layout[3],
                                  {4, layout[2].start, MiddleKey(layout[2].start, layout[2].end) - 1},
                                  {5, MiddleKey(layout[2].start, layout[2].end), layout[2].end}};
  Feed(after, 3, {0.05, 0.05, 0.05, 0.9, 0.0});
  EXPECT_FALSE(Decide(after));
  Feed(after, 7, {0.05, 0.05, 0.05, 0.9, 0.0});
  auto a = Decide(after);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, Kind::kSplit);
  EXPECT_EQ(a->shard, 4u);
}

TEST_F(ScalerTest, DoesNotSplitAShardNarrowerThanMaxShardsAllow) {
  // One hot key: its shard has been split down to 1/128 of the key space (max_shards 64).
  uint128 step = kUint128Max / 128;
  uint128 quarter = uint128{1} << 126;
  std::vector<ShardSlot> layout = {{10, 0, step - 1},
                                   {11, step, quarter - 1},
                                   {12, quarter, 2 * quarter - 1},
                                   {13, 2 * quarter, kUint128Max}};
  Feed(layout, 10, {0.9, 0.0, 0.0, 0.0});
  EXPECT_FALSE(Decide(layout));
}

TEST_F(ScalerTest, ScalesInOnlyOnceThePeakHasAgedOut) {
  auto layout = Even(8);
  Feed(layout, 10, std::vector<double>(8, 0.45));  // 3.6 MiB/s: 8 shards are right
  EXPECT_FALSE(Decide(layout));
  const int64_t stopped = now_;
  std::optional<ScalingAction> a;
  while (!a && now_ < stopped + 120'000) {
    Feed(layout, 1, {});  // no traffic; the peak is remembered for 60 s
    a = Decide(layout);
  }
  ASSERT_TRUE(a);
  EXPECT_GE(now_, stopped + 60'000);
  EXPECT_LE(now_, stopped + 63'000);  // the peak is kept in buckets of 2 s
  EXPECT_EQ(a->kind, Kind::kUniform);
  EXPECT_LT(a->target, 8);
  EXPECT_GE(a->target, 4);
  // Once the whole busy period has aged out, the peak is 0: back to the minimum.
  Feed(layout, 20, {});
  EXPECT_NEAR(*scaler_.PeakUnits(kStream), 0.0, 1e-9);
  a = Decide(layout);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->target, 4);
}

TEST_F(ScalerTest, ScaleInAtMostHalvesAndNeverBelowTheMinimum) {
  auto layout = Even(20);
  Feed(layout, 10, {});
  auto a = Decide(layout);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->target, 10);
  auto five = Even(5);
  scaler_ = OnDemandScaler(Options());
  Feed(five, 10, {});
  a = Decide(five);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->target, 4);
  scaler_ = OnDemandScaler(Options());
  auto four = Even(4);
  Feed(four, 10, {});
  EXPECT_FALSE(Decide(four));
}

TEST_F(ScalerTest, ScaleInMergesColdNeighboursWhenUniformScalingWouldOverloadAShard) {
  // Two busy eighths (an earlier split), then three cold ranges.
  uint128 eighth = (uint128{1} << 125);
  std::vector<ShardSlot> layout = {{5, 0, eighth - 1},
                                   {6, eighth, 2 * eighth - 1},
                                   {1, 2 * eighth, 4 * eighth - 1},
                                   {2, 4 * eighth, 6 * eighth - 1},
                                   {3, 6 * eighth, kUint128Max}};
  Feed(layout, 10, {0.3, 0.3, 0.0, 0.0, 0.02});
  // Peak 0.62 → 4 shards; even 4 would put 0.6 on the first one: merge 1 and 2 instead.
  auto a = Decide(layout);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, Kind::kMerge);
  EXPECT_EQ(a->shard, 1u);
  EXPECT_EQ(a->adjacent, 2u);
  EXPECT_EQ(a->target, 4);
}

TEST_F(ScalerTest, SkewedTrafficSettlesWithoutFlapping) {
  auto layout = Even(4);
  Feed(layout, 10, {0.8, 0.1, 0.0, 0.0});
  auto a = Decide(layout);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->kind, Kind::kSplit);
  scaler_.Stepped(kStream, now_);
  uint128 mid = a->split_key;
  std::vector<ShardSlot> split = {{4, layout[0].start, mid - 1}, {5, mid, layout[0].end},
                                  layout[1], layout[2], layout[3]};
  Feed(split, 10, {0.4, 0.4, 0.1, 0.0, 0.0});
  a = Decide(split);  // 5 shards > 4 wanted: the cold pair 2+3 goes, not the busy halves
  ASSERT_TRUE(a);
  ASSERT_EQ(a->kind, Kind::kMerge);
  EXPECT_EQ(a->shard, 2u);
  EXPECT_EQ(a->adjacent, 3u);
  scaler_.Stepped(kStream, now_);
  std::vector<ShardSlot> merged = {split[0], split[1], split[2],
                                   {6, layout[2].start, layout[3].end}};
  Feed(merged, 60, {0.4, 0.4, 0.1, 0.0});
  EXPECT_FALSE(Decide(merged));
}

TEST_F(ScalerTest, ForgetsStreamsThatAreGone) {
  auto layout = Even(4);
  Feed(layout, 10, {1, 1, 1, 1});
  scaler_.Retain({kStream + 1});
  EXPECT_FALSE(Decide(layout));
  EXPECT_FALSE(scaler_.PeakUnits(kStream));
}

}  // namespace
}  // namespace shoal::service
