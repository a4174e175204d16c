// The autoscaler's driver with the real service, data plane and storage engine on an in-memory
// file system and a fake clock: writes counted in the data plane make an on-demand stream scale
// out and back in through reshard commands; provisioned streams are left alone.

#include "service/autoscale/autoscaler.h"

#include <gtest/gtest.h>

#include "service/data_plane.h"
#include "service/service_test_util.h"

namespace shoal::service {
namespace {

using meta::StreamMode;
using meta::StreamStatus;

class AutoscalerTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    options_.update_delay_ms = 500;
    data_options_.usage = &meter_;
    Open();
    AutoscalerOptions ao;
    ao.interval_ms = 1000;
    ao.scaler.shard_bytes_per_sec = 10'000;  // small shards keep the test's writes small
    ao.scaler.shard_records_per_sec = 100;
    ao.scaler.window_ms = 3000;
    ao.scaler.cooldown_ms = 2000;
    ao.scaler.peak_window_ms = 10'000;
    autoscaler_ = std::make_unique<Autoscaler>(*streams_, meter_, clock_, ao);
  }
  void TearDown() override {
    autoscaler_.reset();
    ServiceFixture::TearDown();
  }

  void Create(const std::string& name, std::optional<int64_t> shards) {
    CreateStream(name, shards);  // none: ON_DEMAND
  }

  // `n` records of 10 bytes with distinct keys.
  void Put(const std::string& stream, int n) {
    std::vector<std::string> keys;
    for (int i = 0; i < n; ++i) keys.push_back("key-" + std::to_string(next_key_++));
    PutRecordsRequest r;
    r.stream = StreamRef{stream, std::nullopt};
    for (const auto& k : keys) r.entries.push_back({k, "0123456789", std::nullopt});
    auto res = ServiceFixture::Put(std::move(r));
    ASSERT_TRUE(res.ok()) << res.message();
    ASSERT_EQ(res->failed_count, 0);
  }

  int64_t OpenShards(const std::string& stream) {
    auto d = streams_->DescribeStreamSummary(StreamRef{stream, std::nullopt});
    EXPECT_TRUE(d.ok());
    return d->open_shard_count;
  }

  // One second: `records_per_sec` records into `stream`, then a tick. Returns the open
  // shard count after it.
  int64_t Second(const std::string& stream, int records_per_sec) {
    if (records_per_sec > 0) Put(stream, records_per_sec);
    clock_.AdvanceMs(1000);
    for (const auto& step : autoscaler_->Tick()) {
      EXPECT_TRUE(step.status.ok()) << step.status.message();
      steps_.push_back(step);
    }
    return OpenShards(stream);
  }

  UsageMeter meter_;
  std::unique_ptr<Autoscaler> autoscaler_;
  std::vector<ScalingStep> steps_;
  int next_key_ = 0;
};

TEST_F(AutoscalerTest, OnDemandStreamScalesOutUnderLoadAndBackInWhenItStops) {
  Create("od", std::nullopt);
  EXPECT_EQ(OpenShards("od"), 4);
  autoscaler_->Tick();  // starts the clock
  // 400 records/s = 4 shards' worth (100 records/s each) needs 8.
  int64_t open = 4;
  for (int s = 0; s < 4 && open == 4; ++s) open = Second("od", 400);
  EXPECT_EQ(open, 8);
  ASSERT_EQ(steps_.size(), 1u);
  EXPECT_EQ(steps_[0].stream, "od");
  EXPECT_EQ(steps_[0].open_before, 4);
  EXPECT_EQ(steps_[0].action.kind, ScalingAction::Kind::kUniform);
  auto d = streams_->DescribeStreamSummary(StreamRef{"od", std::nullopt});
  EXPECT_EQ(d->stream.status, StreamStatus::kUpdating);  // like any reshard
  EXPECT_EQ(d->stream.mode, StreamMode::kOnDemand);
  // Autoscaling does not use up the stream's UpdateShardCount allowance.
  EXPECT_TRUE(catalog_->FindStream("od")->scaling_ops_ms.empty());
  // While the load lasts, 8 shards are right (each at half its capacity): no further step.
  for (int s = 0; s < 8; ++s) EXPECT_EQ(Second("od", 400), 8);
  // Traffic stops: once the peak has aged out (10 s), back to 4.
  for (int s = 0; s < 30 && open > 4; ++s) open = Second("od", 0);
  EXPECT_EQ(open, 4);
  EXPECT_EQ(steps_.back().action.target, 4);
}

TEST_F(AutoscalerTest, ProvisionedStreamsAreNeitherCountedNorScaled) {
  Create("prov", 2);
  autoscaler_->Tick();
  for (int s = 0; s < 10; ++s) EXPECT_EQ(Second("prov", 400), 2);
  EXPECT_TRUE(steps_.empty());
  EXPECT_TRUE(meter_.Drain().empty());
}

TEST_F(AutoscalerTest, StepsRefuseStreamsThatAreNotOnDemandOrChanged) {
  Create("prov", 2);
  Create("od", std::nullopt);
  ScalingAction up;
  up.kind = ScalingAction::Kind::kUniform;
  up.target = 8;
  uint64_t prov_rev = catalog_->FindStream("prov")->revision;
  uint64_t od_rev = catalog_->FindStream("od")->revision;
  EXPECT_EQ(streams_->ApplyOnDemandScaling("prov", prov_rev, up).code(), Errc::kValidation);
  EXPECT_EQ(streams_->ApplyOnDemandScaling("od", od_rev + 100, up).code(),
            Errc::kResourceNotFound);
  ScalingAction merge;
  merge.kind = ScalingAction::Kind::kMerge;
  merge.shard = 1;
  merge.adjacent = 0;  // wrong order
  EXPECT_EQ(streams_->ApplyOnDemandScaling("od", od_rev, merge).code(), Errc::kInvalidArgument);
  ASSERT_TRUE(streams_->ApplyOnDemandScaling("od", od_rev, up).ok());
  EXPECT_EQ(OpenShards("od"), 8);
  // UPDATING now: the next step waits for ACTIVE.
  EXPECT_EQ(streams_->ApplyOnDemandScaling("od", od_rev, up).code(), Errc::kResourceInUse);
  // The account's provisioned-shard quota does not bound on-demand shards.
  EXPECT_EQ(catalog_->FindStream("od")->scaling_ops_ms.size(), 0u);
}

}  // namespace
}  // namespace shoal::service
