// SplitShard, MergeShards, UpdateShardCount and UpdateStreamMode on the wire: shapes,
// validation messages, outputs.

#include "api/kinesis_handler.h"

#include <gtest/gtest.h>

#include <future>

#include "api/codec/reader.h"
#include "common/mem_fs.h"
#include "meta/catalog.h"
#include "service/data_plane.h"
#include "service/stream_service.h"
#include "storage/log_engine.h"

namespace shoal::api {
namespace {

constexpr char kAuth[] =
    "AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kinesis/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
    "Signature=8c749e3b7ae6fa248966db61058b45e160f7218f37147b25a4cf1e79db3d8be7";


class ReshardOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = meta::Catalog::Open(fs_, "/data");
    ASSERT_TRUE(c.ok());
    catalog_ = std::move(*c);
    service::ServiceOptions opts;
    opts.create_delay_ms = 0;
    opts.update_delay_ms = 0;
    opts.token_key = "k";
    streams_ = std::make_unique<service::StreamService>(*catalog_, clock_, opts);
    storage::EngineOptions eo;
    eo.dir = "/data/streams";
    auto e = storage::OpenLogEngine(fs_, clock_, eo);
    ASSERT_TRUE(e.ok());
    engine_ = std::move(*e);
    data_ = std::make_unique<service::DataPlane>(*streams_, *engine_, clock_,
                                                 service::DataPlaneOptions{});
    handler_ = std::make_unique<KinesisHandler>(Services{*streams_, *data_}, clock_, 2);
  }

  void TearDown() override {
    handler_->Stop();
    engine_->Stop();
  }

  HttpResponse Call(const std::string& op, std::string body) {
    HttpRequest r;
    r.method = "POST";
    r.target = "/";
    r.headers = {{"content-type", "application/x-amz-json-1.1"},
                 {"x-amz-target", "Kinesis_20131202." + op},
                 {"x-amz-date", "20240102T030405Z"},
                 {"authorization", kAuth}};
    r.body = std::move(body);
    std::promise<HttpResponse> p;
    handler_->Handle(std::move(r), [&p](HttpResponse res) { p.set_value(std::move(res)); });
    return p.get_future().get();
  }

  // "__type: message" of an error response.
  static std::string Error(const HttpResponse& r) {
    auto body = ReadJson(r.body);
    if (!body.ok()) return "<unparsable>";
    const Value* t = body->Find("__type");
    const Value* m = body->Find("message");
    return (t ? t->as_string() : "") + ": " + (m ? m->as_string() : "");
  }

  MemFileSystem fs_;
  FakeClock clock_;
  std::unique_ptr<meta::Catalog> catalog_;
  std::unique_ptr<service::StreamService> streams_;
  std::unique_ptr<storage::LogEngine> engine_;
  std::unique_ptr<service::DataPlane> data_;
  std::unique_ptr<KinesisHandler> handler_;
};

TEST_F(ReshardOpsTest, SplitMergeAndUpdateShardCount) {
  ASSERT_EQ(Call("CreateStream", R"({"StreamName":"s","ShardCount":2})").status, 200);
  auto r = Call("SplitShard", R"({"StreamName":"s","ShardToSplit":"shardId-000000000000",)"
                              R"("NewStartingHashKey":"1000"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty());
  r = Call("MergeShards", R"({"StreamName":"s","ShardToMerge":"shardId-000000000003",)"
                          R"("AdjacentShardToMerge":"shardId-000000000002"})");
  EXPECT_EQ(Error(r),
            "InvalidArgumentException: Shards shardId-000000000003 and shardId-000000000002 in "
            "stream s under account 000000000000 are not an adjacent pair of shards eligible for "
            "merging");
  r = Call("MergeShards", R"({"StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s",)"
                          R"("ShardToMerge":"shardId-000000000002",)"
                          R"("AdjacentShardToMerge":"shardId-000000000003"})");
  EXPECT_EQ(r.status, 200) << r.body;
  r = Call("UpdateShardCount",
           R"({"StreamName":"s","TargetShardCount":4,"ScalingType":"UNIFORM_SCALING"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = ReadJson(r.body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->Find("StreamName")->as_string(), "s");
  EXPECT_EQ(body->Find("CurrentShardCount")->as_int(), 2);
  EXPECT_EQ(body->Find("TargetShardCount")->as_int(), 4);
  EXPECT_EQ(body->Find("StreamARN")->as_string(),
            "arn:aws:kinesis:us-east-1:000000000000:stream/s");
}

TEST_F(ReshardOpsTest, ModelConstraints) {
  ASSERT_EQ(Call("CreateStream", R"({"StreamName":"s","ShardCount":1})").status, 200);
  EXPECT_EQ(Error(Call("SplitShard", R"({"StreamName":"s","NewStartingHashKey":"01"})")),
            "ValidationException: 2 validation errors detected: Value null at 'shardToSplit' "
            "failed to satisfy constraint: Member must not be null; Value '01' at "
            "'newStartingHashKey' failed to satisfy constraint: Member must satisfy regular "
            "expression pattern: 0|([1-9]\\d{0,38})");
  EXPECT_EQ(Error(Call("MergeShards", R"({"StreamName":"s","ShardToMerge":"a"})")),
            "ValidationException: 1 validation error detected: Value null at "
            "'adjacentShardToMerge' failed to satisfy constraint: Member must not be null");
  EXPECT_EQ(Error(Call("UpdateShardCount",
                       R"({"StreamName":"s","TargetShardCount":0,"ScalingType":"X"})")),
            "ValidationException: 2 validation errors detected: Value '0' at 'targetShardCount' "
            "failed to satisfy constraint: Member must have value greater than or equal to 1; "
            "Value 'X' at 'scalingType' failed to satisfy constraint: Member must satisfy enum "
            "value set: [UNIFORM_SCALING]");
  EXPECT_EQ(Error(Call("UpdateStreamMode",
                       R"({"StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s"})")),
            "ValidationException: 1 validation error detected: Value null at "
            "'streamModeDetails' failed to satisfy constraint: Member must not be null");
}

TEST_F(ReshardOpsTest, UpdateStreamMode) {
  ASSERT_EQ(Call("CreateStream", R"({"StreamName":"s","ShardCount":1})").status, 200);
  const std::string arn = R"("StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s")";
  auto r = Call("UpdateStreamMode",
                "{" + arn + R"(,"StreamModeDetails":{"StreamMode":"ON_DEMAND"}})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.body.empty());
  r = Call("DescribeStreamSummary", R"({"StreamName":"s"})");
  auto body = ReadJson(r.body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->Find("StreamDescriptionSummary")
                ->Find("StreamModeDetails")
                ->Find("StreamMode")
                ->as_string(),
            "ON_DEMAND");
  r = Call("SplitShard", R"({"StreamName":"s","ShardToSplit":"0","NewStartingHashKey":"1000"})");
  EXPECT_EQ(Error(r).substr(0, 20), "ValidationException:");
}

}  // namespace
}  // namespace shoal::api
