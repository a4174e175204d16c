#include "service/stream_service.h"

#include <gtest/gtest.h>

#include "common/mem_fs.h"
#include "service/hash_ranges.h"

namespace shoal::service {
namespace {

using meta::StreamMode;
using meta::StreamStatus;

class StreamServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.token_key = "test-key";
    Reopen();
  }

  void Reopen() {
    svc_.reset();
    catalog_.reset();
    auto c = meta::Catalog::Open(fs_, "/data");
    ASSERT_TRUE(c.ok()) << c.message();
    catalog_ = std::move(*c);
    svc_ = std::make_unique<StreamService>(*catalog_, clock_, options_);
  }

  void Create(const std::string& name, int64_t shards) {
    CreateStreamRequest r;
    r.name = name;
    r.shard_count = shards;
    auto st = svc_->CreateStream(r);
    ASSERT_TRUE(st.ok()) << st.message();
  }

  // Creates and lets the stream become ACTIVE.
  void CreateActive(const std::string& name, int64_t shards) {
    Create(name, shards);
    clock_.AdvanceMs(options_.create_delay_ms);
    svc_->CompleteDueTransitions();
  }

  StreamStatus StatusOf(const std::string& name) {
    auto d = svc_->DescribeStreamSummary({name, std::nullopt});
    EXPECT_TRUE(d.ok()) << d.message();
    return d.ok() ? d->stream.status : StreamStatus::kDeleting;
  }

  static StreamRef Named(const std::string& name) { return {name, std::nullopt}; }

  MemFileSystem fs_;
  FakeClock clock_;
  ServiceOptions options_;
  std::unique_ptr<meta::Catalog> catalog_;
  std::unique_ptr<StreamService> svc_;
};

TEST_F(StreamServiceTest, CreateGoesThroughCreatingToActive) {
  Create("s1", 4);
  EXPECT_EQ(StatusOf("s1"), StreamStatus::kCreating);
  auto d = svc_->DescribeStream({Named("s1"), std::nullopt, std::nullopt});
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->shards.empty());  // AWS lists no shards while CREATING
  clock_.AdvanceMs(options_.create_delay_ms - 1);
  EXPECT_EQ(StatusOf("s1"), StreamStatus::kCreating);
  clock_.AdvanceMs(1);
  EXPECT_EQ(StatusOf("s1"), StreamStatus::kActive);
  d = svc_->DescribeStream({Named("s1"), std::nullopt, std::nullopt});
  ASSERT_EQ(d->shards.size(), 4u);
  EXPECT_EQ(d->shards[3].shard_id, "shardId-000000000003");
  EXPECT_EQ(d->stream.arn, "arn:aws:kinesis:us-east-1:000000000000:stream/s1");
  EXPECT_EQ(d->shards[0].starting_sequence_number.size(), 56u);
}

TEST_F(StreamServiceTest, ZeroDelayCreatesActiveStreams) {
  options_.create_delay_ms = 0;
  Reopen();
  Create("s1", 1);
  EXPECT_EQ(StatusOf("s1"), StreamStatus::kActive);
}

TEST_F(StreamServiceTest, DuplicateNameIsInUse) {
  Create("s1", 1);
  CreateStreamRequest r;
  r.name = "s1";
  r.shard_count = 1;
  auto st = svc_->CreateStream(r);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Errc::kResourceInUse);
  EXPECT_EQ(st.message(), "Stream s1 under account 000000000000 already exists.");
}

TEST_F(StreamServiceTest, CapacityModes) {
  CreateStreamRequest r;
  r.name = "od";
  r.mode = StreamMode::kOnDemand;
  ASSERT_TRUE(svc_->CreateStream(r).ok());
  r.name = "default";
  r.mode.reset();
  ASSERT_TRUE(svc_->CreateStream(r).ok());
  clock_.AdvanceMs(1000);
  for (const char* name : {"od", "default"}) {
    auto d = svc_->DescribeStreamSummary(Named(name));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->stream.mode, StreamMode::kOnDemand);
    EXPECT_EQ(d->open_shard_count, 4);
  }
  r.name = "bad";
  r.mode = StreamMode::kOnDemand;
  r.shard_count = 2;
  EXPECT_EQ(svc_->CreateStream(r).code(), Errc::kValidation);
  r.mode = StreamMode::kProvisioned;
  r.shard_count.reset();
  EXPECT_EQ(svc_->CreateStream(r).code(), Errc::kInvalidArgument);
}

TEST_F(StreamServiceTest, ShardLimitUsesAwsText) {
  options_.shard_limit = 10;
  Reopen();
  CreateActive("a", 8);
  CreateStreamRequest r;
  r.name = "b";
  r.shard_count = 3;
  auto st = svc_->CreateStream(r);
  ASSERT_EQ(st.code(), Errc::kLimitExceeded);
  EXPECT_EQ(st.message(),
            "This request would exceed the shard limit for the account 000000000000 in "
            "us-east-1. Current shard count for the account: 8. Limit: 10. Number of additional "
            "shards that would have resulted from this request: 3. Refer to the AWS Service "
            "Limits page (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) "
            "for current limits and how to request higher limits.");
  r.shard_count = 2;
  EXPECT_TRUE(svc_->CreateStream(r).ok());
  auto limits = svc_->DescribeLimits();
  EXPECT_EQ(limits->shard_limit, 10);
  EXPECT_EQ(limits->open_shard_count, 10);
}

TEST_F(StreamServiceTest, AtMostFiveStreamsCreatingAtOnce) {
  for (int i = 0; i < 5; ++i) Create("s" + std::to_string(i), 1);
  CreateStreamRequest r;
  r.name = "s5";
  r.shard_count = 1;
  EXPECT_EQ(svc_->CreateStream(r).code(), Errc::kLimitExceeded);
  clock_.AdvanceMs(options_.create_delay_ms);
  EXPECT_TRUE(svc_->CreateStream(r).ok());
}

TEST_F(StreamServiceTest, DeleteThenRecreateGetsANewRevision) {
  CreateActive("s1", 2);
  uint64_t first = catalog_->FindStream("s1")->revision;
  ASSERT_TRUE(svc_->DeleteStream({Named("s1"), false}).ok());
  EXPECT_EQ(StatusOf("s1"), StreamStatus::kDeleting);
  EXPECT_EQ(svc_->DeleteStream({Named("s1"), false}).code(), Errc::kResourceInUse);
  clock_.AdvanceMs(options_.delete_delay_ms);
  auto gone = svc_->DescribeStreamSummary(Named("s1"));
  ASSERT_EQ(gone.code(), Errc::kResourceNotFound);
  EXPECT_EQ(gone.message(), "Stream s1 under account 000000000000 not found.");
  Create("s1", 1);
  EXPECT_GT(catalog_->FindStream("s1")->revision, first);
}

TEST_F(StreamServiceTest, DeleteWhileCreating) {
  Create("s1", 1);
  ASSERT_TRUE(svc_->DeleteStream({Named("s1"), true}).ok());
  clock_.AdvanceMs(options_.delete_delay_ms);
  EXPECT_EQ(svc_->DescribeStreamSummary(Named("s1")).code(), Errc::kResourceNotFound);
}

TEST_F(StreamServiceTest, StreamRefByArn) {
  CreateActive("s1", 1);
  std::string arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s1";
  EXPECT_TRUE(svc_->DescribeStreamSummary({std::nullopt, arn}).ok());
  EXPECT_TRUE(svc_->DescribeStreamSummary({"s1", arn}).ok());
  EXPECT_EQ(svc_->DescribeStreamSummary({"s2", arn}).code(), Errc::kInvalidArgument);
  EXPECT_EQ(svc_->DescribeStreamSummary({std::nullopt, std::nullopt}).code(),
            Errc::kInvalidArgument);
  EXPECT_EQ(svc_->DescribeStreamSummary(
                    {std::nullopt, "arn:aws:kinesis:eu-west-1:000000000000:stream/s1"})
                .code(),
            Errc::kResourceNotFound);
}

TEST_F(StreamServiceTest, DescribeStreamPagesByHundred) {
  CreateActive("big", 250);
  DescribeStreamRequest r{Named("big"), 1000, std::nullopt};
  std::vector<std::string> ids;
  while (true) {
    auto d = svc_->DescribeStream(r);
    ASSERT_TRUE(d.ok());
    EXPECT_LE(d->shards.size(), 100u);
    for (auto& s : d->shards) ids.push_back(s.shard_id);
    if (!d->has_more_shards) break;
    r.exclusive_start_shard_id = ids.back();
  }
  ASSERT_EQ(ids.size(), 250u);
  EXPECT_EQ(ids[249], "shardId-000000000249");
  r.exclusive_start_shard_id = "shard-7";  // parsed leniently, like AWS
  EXPECT_EQ(svc_->DescribeStream(r)->shards[0].shard_id, "shardId-000000000008");
}

TEST_F(StreamServiceTest, ListStreamsPagination) {
  options_.create_delay_ms = 0;
  Reopen();
  for (char c = 'a'; c <= 'e'; ++c) Create(std::string(1, c), 1);
  ListStreamsRequest r;
  r.limit = 2;
  std::vector<std::string> names;
  int pages = 0;
  while (true) {
    auto page = svc_->ListStreams(r);
    ASSERT_TRUE(page.ok());
    ++pages;
    for (auto& s : page->streams) names.push_back(s.name);
    EXPECT_EQ(page->has_more_streams, page->next_token.has_value());
    if (!page->next_token) break;
    r.next_token = page->next_token;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  ListStreamsRequest after;
  after.exclusive_start_stream_name = "c";
  EXPECT_EQ(svc_->ListStreams(after)->streams.size(), 2u);
  r.next_token = "garbage";
  EXPECT_EQ(svc_->ListStreams(r).code(), Errc::kInvalidArgument);
}

TEST_F(StreamServiceTest, ListShardsPagesWithTokens) {
  options_.shard_limit = 100000;
  Reopen();
  CreateActive("big", 2500);
  ListShardsRequest r;
  r.stream = Named("big");
  auto page = svc_->ListShards(r);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->shards.size(), 1000u);
  ASSERT_TRUE(page->next_token);
  size_t total = page->shards.size();
  ListShardsRequest next;
  next.next_token = page->next_token;
  next.stream = Named("big");  // botocore's paginator re-sends the name
  while (true) {
    auto p = svc_->ListShards(next);
    ASSERT_TRUE(p.ok()) << p.message();
    total += p->shards.size();
    if (!p->next_token) break;
    next.next_token = p->next_token;
  }
  EXPECT_EQ(total, 2500u);

  ListShardsRequest mixed;
  mixed.next_token = page->next_token;
  mixed.stream = Named("other");
  auto e = svc_->ListShards(mixed);
  EXPECT_EQ(e.code(), Errc::kInvalidArgument);
  EXPECT_EQ(e.message(), "NextToken and StreamName cannot be provided together.");
  mixed.stream = {};
  mixed.exclusive_start_shard_id = "shardId-000000000001";
  EXPECT_EQ(svc_->ListShards(mixed).code(), Errc::kInvalidArgument);

  clock_.AdvanceMs(options_.next_token_ttl_ms + 1);
  ListShardsRequest late;
  late.next_token = page->next_token;
  EXPECT_EQ(svc_->ListShards(late).code(), Errc::kExpiredNextToken);
}

TEST_F(StreamServiceTest, ListShardsFiltersAndState) {
  Create("s", 5);
  ListShardsRequest r;
  r.stream = Named("s");
  auto creating = svc_->ListShards(r);
  EXPECT_EQ(creating.code(), Errc::kResourceInUse);
  EXPECT_EQ(creating.message(),
            "Stream s under account 000000000000 not ACTIVE or UPDATING, instead in state "
            "CREATING");
  clock_.AdvanceMs(options_.create_delay_ms);
  r.shard_filter = ShardFilter{ShardFilterType::kAfterShardId, "shardId-000000000002", {}};
  auto after = svc_->ListShards(r);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->shards.size(), 2u);
  EXPECT_EQ(after->shards[0].shard_id, "shardId-000000000003");
  for (auto type : {ShardFilterType::kAtLatest, ShardFilterType::kAtTrimHorizon,
                    ShardFilterType::kFromTrimHorizon}) {
    r.shard_filter = ShardFilter{type, {}, {}};
    EXPECT_EQ(svc_->ListShards(r)->shards.size(), 5u);
  }
  r.shard_filter = ShardFilter{ShardFilterType::kAtTimestamp, {}, {}};
  EXPECT_EQ(svc_->ListShards(r).code(), Errc::kInvalidArgument);
  r.shard_filter->timestamp_ms = clock_.NowMs() - 86'400'000;  // before the stream existed
  EXPECT_EQ(svc_->ListShards(r)->shards.size(), 5u);
  r.shard_filter = ShardFilter{ShardFilterType::kAfterShardId, {}, {}};
  EXPECT_EQ(svc_->ListShards(r).code(), Errc::kInvalidArgument);
  r.shard_filter.reset();
  r.stream_creation_timestamp_ms = 1;
  EXPECT_EQ(svc_->ListShards(r).code(), Errc::kResourceNotFound);
}

TEST_F(StreamServiceTest, RetentionRules) {
  CreateActive("s", 1);
  RetentionRequest r{Named("s"), 23};
  auto st = svc_->IncreaseStreamRetentionPeriod(r);
  EXPECT_EQ(st.code(), Errc::kInvalidArgument);
  EXPECT_EQ(st.message(), "Minimum allowed retention period is 24 hours. Requested retention "
                          "period (23 hours) is too short.");
  r.retention_hours = 8761;
  EXPECT_EQ(svc_->IncreaseStreamRetentionPeriod(r).code(), Errc::kInvalidArgument);
  r.retention_hours = 48;
  ASSERT_TRUE(svc_->IncreaseStreamRetentionPeriod(r).ok());
  r.retention_hours = 36;
  st = svc_->IncreaseStreamRetentionPeriod(r);
  EXPECT_EQ(st.message(), "Requested retention period (36 hours) for stream s can not be "
                          "shorter than existing retention period (48 hours). Use "
                          "DecreaseRetentionPeriod API.");
  ASSERT_TRUE(svc_->DecreaseStreamRetentionPeriod(r).ok());
  r.retention_hours = 100;
  st = svc_->DecreaseStreamRetentionPeriod(r);
  EXPECT_EQ(st.message(), "Requested retention period (100 hours) for stream s can not be "
                          "longer than existing retention period (36 hours). Use "
                          "IncreaseRetentionPeriod API.");
  EXPECT_EQ(svc_->DescribeStreamSummary(Named("s"))->stream.retention_hours, 36);
}

TEST_F(StreamServiceTest, TagsRules) {
  Create("s", 1);
  EXPECT_EQ(svc_->AddTagsToStream({Named("s"), {{"k", "v"}}}).code(), Errc::kResourceInUse);
  clock_.AdvanceMs(options_.create_delay_ms);
  ASSERT_TRUE(svc_->AddTagsToStream({Named("s"), {{"b", "2"}, {"a", "1"}, {"c", ""}}}).ok());
  auto page = svc_->ListTagsForStream({Named("s"), std::nullopt, 2});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->tags.size(), 2u);
  EXPECT_EQ(page->tags[0].first, "a");
  EXPECT_TRUE(page->has_more_tags);
  auto rest = svc_->ListTagsForStream({Named("s"), "b", std::nullopt});
  ASSERT_EQ(rest->tags.size(), 1u);
  EXPECT_EQ(rest->tags[0].first, "c");
  EXPECT_FALSE(rest->has_more_tags);
  ASSERT_TRUE(svc_->RemoveTagsFromStream({Named("s"), {"a", "missing"}}).ok());
  EXPECT_EQ(svc_->ListTagsForStream({Named("s"), {}, {}})->tags.size(), 2u);
  auto pct = svc_->AddTagsToStream({Named("s"), {{"bad%", "v"}}});
  EXPECT_EQ(pct.code(), Errc::kInvalidArgument);
  EXPECT_NE(pct.message().find("because some tags contained illegal characters"), std::string::npos);
  EXPECT_EQ(svc_->AddTagsToStream({Named("s"), {{"bad;", "v"}}}).code(), Errc::kInvalidArgument);
  EXPECT_EQ(svc_->AddTagsToStream({Named("s"), {{"k", "tab\there"}}}).code(),
            Errc::kInvalidArgument);
  EXPECT_TRUE(svc_->AddTagsToStream({Named("s"), {{"ünï cøde/=+-@._", "ok"}}}).ok());
  TagMap many;
  for (int i = 0; i < 48; ++i) many["t" + std::to_string(i)] = "v";
  auto too_many = svc_->AddTagsToStream({Named("s"), many});
  EXPECT_EQ(too_many.code(), Errc::kInvalidArgument);
  EXPECT_EQ(too_many.message(), "Failed to add tags to stream s under account 000000000000 "
                                "because a given stream cannot have more than 50 tags "
                                "associated with it.");
  std::string arn = svc_->StreamArn("s");
  ASSERT_TRUE(svc_->TagResource(arn, {{"a:b", "v"}}).ok());
  ASSERT_TRUE(svc_->UntagResource(arn, {"b"}).ok());
  auto all = svc_->ListTagsForResource(arn);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
  EXPECT_EQ(svc_->ListTagsForResource(arn + "/consumer/c:1").code(), Errc::kResourceNotFound);
}

TEST_F(StreamServiceTest, EnhancedMonitoringExpandsAll) {
  CreateActive("s", 1);
  auto on = svc_->EnableEnhancedMonitoring({Named("s"), {"ALL"}});
  ASSERT_TRUE(on.ok());
  EXPECT_TRUE(on->current.empty());
  EXPECT_EQ(on->desired.size(), 7u);
  auto off = svc_->DisableEnhancedMonitoring({Named("s"), {"IncomingBytes"}});
  EXPECT_EQ(off->current.size(), 7u);
  EXPECT_EQ(off->desired.size(), 6u);
  EXPECT_EQ(svc_->DescribeStreamSummary(Named("s"))->stream.shard_level_metrics.size(), 6u);
}

TEST_F(StreamServiceTest, EverythingSurvivesACrash) {
  CreateActive("s", 3);
  ASSERT_TRUE(svc_->AddTagsToStream({Named("s"), {{"k", "v"}}}).ok());
  ASSERT_TRUE(svc_->IncreaseStreamRetentionPeriod({Named("s"), 72}).ok());
  auto before = svc_->DescribeStream({Named("s"), {}, {}});
  Create("young", 2);  // CREATING when the process dies
  fs_.SimulateCrash();
  Reopen();
  auto after = svc_->DescribeStream({Named("s"), {}, {}});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->stream.retention_hours, 72);
  ASSERT_EQ(after->shards.size(), before->shards.size());
  for (size_t i = 0; i < after->shards.size(); ++i) {
    EXPECT_EQ(after->shards[i].shard_id, before->shards[i].shard_id);
    EXPECT_TRUE(after->shards[i].ending_hash_key == before->shards[i].ending_hash_key);
    EXPECT_EQ(after->shards[i].starting_sequence_number,
              before->shards[i].starting_sequence_number);
  }
  EXPECT_EQ(svc_->ListTagsForStream({Named("s"), {}, {}})->tags.size(), 1u);
  // The interrupted creation completes; it never stays CREATING.
  clock_.AdvanceMs(options_.create_delay_ms);
  EXPECT_EQ(StatusOf("young"), StreamStatus::kActive);
}

TEST(ShardIdTest, ParsesLeniently) {
  EXPECT_EQ(ParseShardId("shardId-000000000007"), 7u);
  EXPECT_EQ(ParseShardId("shard-0"), 0u);
  EXPECT_EQ(ParseShardId("0"), 0u);
  EXPECT_EQ(ParseShardId("a-00002147483647"), 2147483647u);
  EXPECT_FALSE(ParseShardId("shardId-2147483648").has_value());
  EXPECT_FALSE(ParseShardId("ABKLFD8").has_value());
  EXPECT_FALSE(ParseShardId("2.14E4").has_value());
  EXPECT_EQ(ShardIdString(12), "shardId-000000000012");
}

}  // namespace
}  // namespace shoal::service
