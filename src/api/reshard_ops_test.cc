// SplitShard, MergeShards, UpdateShardCount and UpdateStreamMode on the wire: shapes,
// validation messages, outputs.

#include "api/kinesis_handler.h"

#include <gtest/gtest.h>

#include "api/handler_test_util.h"

#include "api/codec/reader.h"

namespace shoal::api {
namespace {

class ReshardOpsTest : public testing::HandlerFixture {
 protected:
  void SetUp() override {
    options_.update_delay_ms = 0;
    OpenHandler();
  }
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
