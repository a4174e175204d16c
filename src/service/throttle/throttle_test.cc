// Token buckets, per-shard limits, the read penalty, control-plane rates and limit profiles,
// all on a FakeClock (no sleeping).

#include <gtest/gtest.h>

#include <vector>

#include "service/throttle/limits.h"
#include "service/throttle/request_limiter.h"
#include "service/throttle/shard_limiter.h"
#include "service/throttle/token_bucket.h"

namespace shoal::service {
namespace {

constexpr int64_t kMs = 1'000'000;  // ns
constexpr int64_t kMiB = 1024 * 1024;

TEST(TokenBucketTest, StartsFullAndRefusesPastTheBurst) {
  TokenBucket b(10, 10, 0);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(b.TryTake(1, 0)) << i;
  EXPECT_FALSE(b.TryTake(1, 0));
  EXPECT_DOUBLE_EQ(b.Level(0), 0);
}

TEST(TokenBucketTest, RefillsAtTheRateExactly) {
  TokenBucket b(10, 10, 0);
  ASSERT_TRUE(b.TryTake(10, 0));
  // 1 token per 100 ms: at 99 ms not yet, at exactly 100 ms yes.
  EXPECT_FALSE(b.TryTake(1, 99 * kMs));
  EXPECT_TRUE(b.TryTake(1, 100 * kMs));
  EXPECT_FALSE(b.TryTake(1, 100 * kMs));
  // Never more than the capacity, however long it waits.
  EXPECT_DOUBLE_EQ(b.Level(3600'000 * kMs), 10);
}

TEST(TokenBucketTest, ARequestLargerThanTheBucketNeedsAFullBucketAndLeavesDebt) {
  TokenBucket b(1, 1, 0);
  ASSERT_TRUE(b.TryTake(3, 0));  // full bucket: let through, 2 tokens of debt
  EXPECT_DOUBLE_EQ(b.Level(0), -2);
  EXPECT_FALSE(b.TryTake(1, 2'999 * kMs));
  EXPECT_TRUE(b.TryTake(1, 3'000 * kMs));  // debt repaid and one second refilled
}

TEST(TokenBucketTest, TimeGoingBackwardsDoesNotRefill) {
  TokenBucket b(10, 10, 1000 * kMs);
  ASSERT_TRUE(b.TryTake(10, 1000 * kMs));
  EXPECT_FALSE(b.TryTake(1, 0));
  EXPECT_DOUBLE_EQ(b.Level(0), 0);
}

class ShardLimiterTest : public ::testing::Test {
 protected:
  ShardLimiterTest() : limiter_(clock_, LimitProfile{}.Shard()) {}

  size_t Write(LimiterKey key, std::vector<int64_t> sizes) {
    return limiter_.AdmitWrites(key, sizes, admitted_);
  }

  FakeClock clock_;
  ShardLimiter limiter_;
  std::vector<char> admitted_;
};

TEST_F(ShardLimiterTest, AwsNumbers) {
  ShardLimits l = LimitProfile{}.Shard();
  EXPECT_TRUE(l.enabled);
  EXPECT_EQ(l.write_bytes, 1 * kMiB);
  EXPECT_EQ(l.write_records, 1000);
  EXPECT_EQ(l.read_bytes, 2 * kMiB);
  EXPECT_EQ(l.read_calls, 5);
  EXPECT_EQ(l.iterator_calls, 5);
}

TEST_F(ShardLimiterTest, ThousandRecordsPerSecondThenRefusedPerRecord) {
  LimiterKey k{1, 0};
  EXPECT_EQ(Write(k, std::vector<int64_t>(600, 10)), 600u);
  EXPECT_EQ(Write(k, std::vector<int64_t>(600, 10)), 400u);
  EXPECT_EQ(std::count(admitted_.begin(), admitted_.end(), 1), 400);
  EXPECT_TRUE(admitted_[399]);
  EXPECT_FALSE(admitted_[400]);
  EXPECT_EQ(Write(k, {10}), 0u);
  clock_.AdvanceMs(1);  // one record per millisecond
  EXPECT_EQ(Write(k, {10, 10}), 1u);
  clock_.AdvanceMs(1000);
  EXPECT_EQ(Write(k, std::vector<int64_t>(1001, 10)), 1000u);
}

TEST_F(ShardLimiterTest, OneMiBPerSecondCountingKeyAndDataAtTheExactBoundary) {
  LimiterKey k{1, 0};
  // 1024 records of 1 KiB (key + data) would fit the byte budget exactly, but the record
  // budget (1000) refuses the last 24.
  EXPECT_EQ(Write(k, std::vector<int64_t>(1024, 1024)), 1000u);
  clock_.AdvanceMs(1000);
  // 512 KiB + 512 KiB: exactly the budget.
  EXPECT_EQ(Write(k, {512 * 1024, 512 * 1024}), 2u);
  EXPECT_EQ(Write(k, {1}), 0u);
  clock_.AdvanceMs(1);  // 1048.576 bytes refilled
  EXPECT_EQ(Write(k, {1049}), 0u);
  EXPECT_EQ(Write(k, {1048}), 1u);
}

TEST_F(ShardLimiterTest, BothBudgetsOrNeither) {
  LimiterKey k{1, 0};
  // A refused big record costs nothing: the small one after it still gets its record token.
  ASSERT_EQ(Write(k, {900 * 1024}), 1u);
  EXPECT_EQ(Write(k, {200 * 1024, 10}), 1u);
  EXPECT_FALSE(admitted_[0]);
  EXPECT_TRUE(admitted_[1]);
}

TEST_F(ShardLimiterTest, ShardsAreIndependent) {
  ASSERT_EQ(Write({1, 0}, std::vector<int64_t>(1000, 1)), 1000u);
  EXPECT_EQ(Write({1, 0}, {1}), 0u);
  EXPECT_EQ(Write({1, 1}, {1}), 1u);
  EXPECT_EQ(Write({2, 0}, {1}), 1u);  // same index, re-created stream
}

TEST_F(ShardLimiterTest, FiveReadsPerSecondShared) {
  LimiterKey k{1, 0};
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter_.AdmitRead(k)) << i;
  EXPECT_FALSE(limiter_.AdmitRead(k));
  clock_.AdvanceMs(199);
  EXPECT_FALSE(limiter_.AdmitRead(k));
  clock_.AdvanceMs(1);
  EXPECT_TRUE(limiter_.AdmitRead(k));
  EXPECT_FALSE(limiter_.AdmitRead(k));
}

TEST_F(ShardLimiterTest, TenMiBReadBlocksTheNextFiveSeconds) {
  LimiterKey k{1, 0};
  ASSERT_TRUE(limiter_.AdmitRead(k));
  limiter_.ChargeRead(k, 10 * kMiB);
  clock_.AdvanceMs(1000);
  EXPECT_FALSE(limiter_.AdmitRead(k));
  clock_.AdvanceMs(3999);  // 4.999 s
  EXPECT_FALSE(limiter_.AdmitRead(k));
  clock_.AdvanceMs(1);  // 5 s
  EXPECT_TRUE(limiter_.AdmitRead(k));
}

TEST_F(ShardLimiterTest, OrdinaryBreachBlocksTheNextSecond) {
  LimiterKey k{1, 0};
  ASSERT_TRUE(limiter_.AdmitRead(k));
  limiter_.ChargeRead(k, 1 * kMiB);  // within the budget: no penalty
  ASSERT_TRUE(limiter_.AdmitRead(k));
  limiter_.ChargeRead(k, 2 * kMiB);  // past the remaining 1 MiB: breach of 2 MiB
  EXPECT_FALSE(limiter_.AdmitRead(k));
  clock_.AdvanceMs(999);
  EXPECT_FALSE(limiter_.AdmitRead(k));
  clock_.AdvanceMs(1);
  EXPECT_TRUE(limiter_.AdmitRead(k));
}

TEST_F(ShardLimiterTest, SmallReadsWithinBudgetAreOnlyCallLimited) {
  LimiterKey k{1, 0};
  for (int s = 0; s < 10; ++s) {
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(limiter_.AdmitRead(k)) << s << " " << i;
      limiter_.ChargeRead(k, 400 * 1024);
    }
    clock_.AdvanceMs(1000);
  }
}

TEST_F(ShardLimiterTest, FiveIteratorsPerSecond) {
  LimiterKey k{1, 3};
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter_.AdmitIterator(k)) << i;
  EXPECT_FALSE(limiter_.AdmitIterator(k));
  EXPECT_TRUE(limiter_.AdmitIterator({1, 4}));
  clock_.AdvanceMs(200);
  EXPECT_TRUE(limiter_.AdmitIterator(k));
}

TEST_F(ShardLimiterTest, IdleAndRemovedShardsAreForgotten) {
  for (uint32_t s = 0; s < 100; ++s) Write({1, s}, {1});
  Write({2, 0}, {1});
  EXPECT_EQ(limiter_.TrackedShards(), 101u);
  limiter_.ForgetStream(1);
  EXPECT_EQ(limiter_.TrackedShards(), 1u);
  clock_.AdvanceMs(ShardLimiter::kIdleDropNs / kMs);
  Write({3, 0}, {1});  // any use sweeps the idle ones
  EXPECT_EQ(limiter_.TrackedShards(), 1u);
}

TEST(LimitProfileTest, Parse) {
  EXPECT_EQ(LimitProfile::Parse("aws")->kind, LimitProfile::Kind::kAws);
  EXPECT_EQ(LimitProfile::Parse("off")->kind, LimitProfile::Kind::kOff);
  auto s = LimitProfile::Parse("scaled:2.5");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind, LimitProfile::Kind::kScaled);
  EXPECT_DOUBLE_EQ(s->factor, 2.5);
  EXPECT_EQ(s->ToString(), "scaled:2.5");
  for (const char* bad : {"", "AWS", "scaled", "scaled:", "scaled:0", "scaled:-1", "scaled:x",
                          "scaled:1e7", "scaled:inf", "scaled:nan", "scaled:2x"}) {
    EXPECT_FALSE(LimitProfile::Parse(bad)) << bad;
  }
}

TEST(LimitProfileTest, OffNeverThrottles) {
  FakeClock clock;
  auto off = *LimitProfile::Parse("off");
  ShardLimiter l(clock, off.Shard());
  std::vector<char> admitted;
  EXPECT_EQ(l.AdmitWrites({1, 0}, std::vector<int64_t>(100'000, 1024), admitted), 100'000u);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(l.AdmitRead({1, 0}));
    l.ChargeRead({1, 0}, 10 * kMiB);
    ASSERT_TRUE(l.AdmitIterator({1, 0}));
  }
  EXPECT_EQ(l.TrackedShards(), 0u);
  RequestLimiter r(clock, off, "000000000000");
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(r.Admit("DescribeLimits", "").ok());
  EXPECT_FALSE(off.ControlPlaneRate("CreateStream"));
}

TEST(LimitProfileTest, ScaledMultipliesEveryRate) {
  auto p = *LimitProfile::Parse("scaled:10");
  ShardLimits l = p.Shard();
  EXPECT_TRUE(l.enabled);
  EXPECT_EQ(l.write_bytes, 10 * kMiB);
  EXPECT_EQ(l.write_records, 10'000);
  EXPECT_EQ(l.read_bytes, 20 * kMiB);
  EXPECT_EQ(l.read_calls, 50);
  EXPECT_EQ(l.iterator_calls, 50);
  EXPECT_EQ(p.ControlPlaneRate("DescribeStream")->per_sec, 100);
  EXPECT_EQ(p.ControlPlaneRate("ListShards")->per_sec, 10'000);

  FakeClock clock;
  ShardLimiter limiter(clock, l);
  std::vector<char> admitted;
  EXPECT_EQ(limiter.AdmitWrites({1, 0}, std::vector<int64_t>(12'000, 1), admitted), 10'000u);
  // A 100 MiB read at 20 MiB/s: still 5 s of penalty.
  ASSERT_TRUE(limiter.AdmitRead({1, 0}));
  limiter.ChargeRead({1, 0}, 100 * kMiB);
  clock.AdvanceMs(4999);
  EXPECT_FALSE(limiter.AdmitRead({1, 0}));
  clock.AdvanceMs(1);
  EXPECT_TRUE(limiter.AdmitRead({1, 0}));
}

TEST(LimitProfileTest, FractionalScaleStillLetsCallsThrough) {
  FakeClock clock;
  RequestLimiter r(clock, *LimitProfile::Parse("scaled:0.5"), "000000000000");
  EXPECT_TRUE(r.Admit("DescribeLimits", "").ok());  // 0.5/s: one call, then 2 s of debt
  EXPECT_FALSE(r.Admit("DescribeLimits", "").ok());
  clock.AdvanceMs(1999);
  EXPECT_FALSE(r.Admit("DescribeLimits", "").ok());
  clock.AdvanceMs(1);
  EXPECT_TRUE(r.Admit("DescribeLimits", "").ok());
}

TEST(RequestLimiterTest, AwsControlPlaneRates) {
  FakeClock clock;
  RequestLimiter r(clock, LimitProfile{}, "123456789012");
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(r.Admit("DescribeStream", "a").ok()) << i;
  auto st = r.Admit("DescribeStream", "b");  // per account: other streams count too
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Errc::kLimitExceeded);
  EXPECT_EQ(st.message(), "Rate exceeded for stream b under account 123456789012.");
  // Other operations have their own budgets.
  EXPECT_TRUE(r.Admit("DescribeStreamSummary", "a").ok());
  ASSERT_TRUE(r.Admit("DescribeLimits", "").ok());
  st = r.Admit("DescribeLimits", "");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "Rate exceeded for account 123456789012.");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(r.Admit("CreateStream", "s" + std::to_string(i)).ok());
  EXPECT_FALSE(r.Admit("CreateStream", "s9").ok());
  // ListShards: 1000/s per stream.
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(r.Admit("ListShards", "a").ok()) << i;
  EXPECT_FALSE(r.Admit("ListShards", "a").ok());
  EXPECT_TRUE(r.Admit("ListShards", "b").ok());
  // Data-plane operations have per-shard limits instead.
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(r.Admit("GetRecords", "a").ok());
  clock.AdvanceMs(100);  // one DescribeStream call refilled
  EXPECT_TRUE(r.Admit("DescribeStream", "a").ok());
  EXPECT_FALSE(r.Admit("DescribeStream", "a").ok());
}

}  // namespace
}  // namespace shoal::service
