// StreamService's enhanced fan-out consumers: every rule of stream_consumers.cc, the
// CREATING/DELETING transitions on a fake clock, DeleteStream's EnforceConsumerDeletion and
// persistence across a crash.

#include <gtest/gtest.h>

#include "common/mem_fs.h"
#include "service/stream_service.h"

namespace shoal::service {
namespace {

using meta::StreamStatus;

constexpr char kArnPrefix[] = "arn:aws:kinesis:us-east-1:000000000000:stream/";

class StreamConsumersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.token_key = "test-key";
    options_.create_delay_ms = 100;
    options_.delete_delay_ms = 100;
    options_.consumer_create_delay_ms = 500;
    options_.consumer_delete_delay_ms = 300;
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

  // Creates a stream and lets it become ACTIVE.
  void CreateActive(const std::string& name) {
    CreateStreamRequest r;
    r.name = name;
    r.shard_count = 1;
    ASSERT_TRUE(svc_->CreateStream(r).ok());
    clock_.AdvanceMs(options_.create_delay_ms);
    svc_->CompleteDueTransitions();
  }

  static std::string Arn(const std::string& stream) { return kArnPrefix + stream; }

  SvcResult<ConsumerInfo> Register(const std::string& stream, const std::string& name,
                                   TagMap tags = {}) {
    return svc_->RegisterStreamConsumer({Arn(stream), name, std::move(tags)});
  }

  // Registers and lets the consumer become ACTIVE; returns its ARN.
  std::string RegisterActive(const std::string& stream, const std::string& name) {
    auto c = Register(stream, name);
    EXPECT_TRUE(c.ok()) << c.message();
    clock_.AdvanceMs(options_.consumer_create_delay_ms);
    svc_->CompleteDueTransitions();
    return c.ok() ? c->arn : "";
  }

  SvcResult<ConsumerInfo> ByName(const std::string& stream, const std::string& name) {
    return svc_->DescribeStreamConsumer({Arn(stream), name, std::nullopt});
  }
  SvcResult<ConsumerInfo> ByArn(const std::string& arn) {
    return svc_->DescribeStreamConsumer({std::nullopt, std::nullopt, arn});
  }

  int64_t ConsumerCount(const std::string& stream) {
    auto d = svc_->DescribeStreamSummary({stream, std::nullopt});
    EXPECT_TRUE(d.ok()) << d.message();
    return d.ok() ? d->consumer_count : -1;
  }

  MemFileSystem fs_;
  FakeClock clock_;
  ServiceOptions options_;
  std::unique_ptr<meta::Catalog> catalog_;
  std::unique_ptr<StreamService> svc_;
};

TEST_F(StreamConsumersTest, RegisterGoesThroughCreatingToActive) {
  CreateActive("s");
  int64_t t0 = clock_.NowMs();
  auto c = Register("s", "app.1-x_y");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->status, ConsumerStatus::kCreating);
  EXPECT_EQ(c->arn, Arn("s") + "/consumer/app.1-x_y:" + std::to_string(t0 / 1000));
  EXPECT_EQ(c->stream_arn, Arn("s"));
  EXPECT_EQ(c->stream_name, "s");
  EXPECT_EQ(c->created_ms, t0);
  // The pending activation is what the background loop waits for next.
  EXPECT_EQ(svc_->CompleteDueTransitions(), t0 + options_.consumer_create_delay_ms);
  clock_.AdvanceMs(options_.consumer_create_delay_ms - 1);
  EXPECT_EQ(ByArn(c->arn)->status, ConsumerStatus::kCreating);
  clock_.AdvanceMs(1);
  auto d = ByName("s", "app.1-x_y");
  ASSERT_TRUE(d.ok()) << d.message();
  EXPECT_EQ(d->status, ConsumerStatus::kActive);
  EXPECT_EQ(d->arn, c->arn);
  EXPECT_EQ(d->created_ms, t0);
  EXPECT_FALSE(svc_->CompleteDueTransitions().has_value());
}

TEST_F(StreamConsumersTest, ZeroDelaysRegisterActiveAndDeregisterAtOnce) {
  options_.consumer_create_delay_ms = 0;
  options_.consumer_delete_delay_ms = 0;
  Reopen();
  CreateActive("s");
  auto c = Register("s", "c");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->status, ConsumerStatus::kActive);
  ASSERT_TRUE(svc_->DeregisterStreamConsumer({std::nullopt, std::nullopt, c->arn}).ok());
  EXPECT_EQ(ByArn(c->arn).code(), Errc::kResourceNotFound);
}

TEST_F(StreamConsumersTest, NameIsTakenInEveryStatusAndReRegisteringGivesANewArn) {
  CreateActive("s");
  auto first = Register("s", "c");
  ASSERT_TRUE(first.ok());
  auto dup = Register("s", "c");
  EXPECT_EQ(dup.code(), Errc::kResourceInUse);
  EXPECT_EQ(dup.message(), "Consumer c under stream s under account 000000000000 already exists.");
  clock_.AdvanceMs(options_.consumer_create_delay_ms);
  EXPECT_EQ(Register("s", "c").code(), Errc::kResourceInUse);  // ACTIVE
  ASSERT_TRUE(svc_->DeregisterStreamConsumer({Arn("s"), "c", std::nullopt}).ok());
  EXPECT_EQ(ByName("s", "c")->status, ConsumerStatus::kDeleting);
  EXPECT_EQ(Register("s", "c").code(), Errc::kResourceInUse);  // DELETING
  clock_.AdvanceMs(options_.consumer_delete_delay_ms);
  EXPECT_EQ(ByName("s", "c").code(), Errc::kResourceNotFound);
  auto second = Register("s", "c");
  ASSERT_TRUE(second.ok()) << second.message();
  EXPECT_NE(second->arn, first->arn);
  EXPECT_EQ(ByArn(first->arn).code(), Errc::kResourceNotFound);  // the old ARN names nothing
  EXPECT_EQ(ByArn(second->arn)->name, "c");
  // The same name on another stream is another consumer.
  CreateActive("t");
  EXPECT_TRUE(Register("t", "c").ok());
}

TEST_F(StreamConsumersTest, AtMostTwentyConsumersPerStream) {
  options_.consumer_create_delay_ms = 0;  // the CREATING limit is another test
  Reopen();
  CreateActive("s");
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Register("s", "c" + std::to_string(i)).ok()) << i;
  auto over = Register("s", "c20");
  EXPECT_EQ(over.code(), Errc::kLimitExceeded);
  EXPECT_NE(over.message().find("already has 20 registered consumers"), std::string::npos)
      << over.message();
  EXPECT_EQ(ConsumerCount("s"), 20);
  CreateActive("t");
  EXPECT_TRUE(Register("t", "c20").ok());
  // A DELETING consumer still counts until it is gone.
  ASSERT_TRUE(svc_->DeregisterStreamConsumer({Arn("s"), "c0", std::nullopt}).ok());
  EXPECT_EQ(Register("s", "c20").code(), Errc::kLimitExceeded);
  clock_.AdvanceMs(options_.consumer_delete_delay_ms);
  EXPECT_TRUE(Register("s", "c20").ok());
}

TEST_F(StreamConsumersTest, AtMostFiveConsumersCreatingInTheAccount) {
  CreateActive("s");
  CreateActive("t");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Register("s", "c" + std::to_string(i)).ok());
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(Register("t", "c" + std::to_string(i)).ok());
  auto sixth = Register("t", "c2");
  EXPECT_EQ(sixth.code(), Errc::kLimitExceeded);
  EXPECT_EQ(sixth.message(),
            "Rate exceeded for account 000000000000: at most 5 consumers can be CREATING at "
            "once.");
  clock_.AdvanceMs(options_.consumer_create_delay_ms);
  EXPECT_TRUE(Register("t", "c2").ok());
}

TEST_F(StreamConsumersTest, RegisterAndListNeedAnActiveOrUpdatingStream) {
  EXPECT_EQ(Register("nope", "c").code(), Errc::kResourceNotFound);
  EXPECT_EQ(Register("nope", "c").message(), "Stream nope under account 000000000000 not found.");
  CreateStreamRequest r;
  r.name = "young";
  r.shard_count = 2;
  ASSERT_TRUE(svc_->CreateStream(r).ok());
  auto creating = Register("young", "c");
  EXPECT_EQ(creating.code(), Errc::kResourceInUse);
  EXPECT_EQ(creating.message(),
            "Stream young under account 000000000000 not ACTIVE or UPDATING, instead in state "
            "CREATING");
  auto list = svc_->ListStreamConsumers({Arn("young"), {}, {}, {}});
  EXPECT_EQ(list.code(), Errc::kResourceInUse);
  clock_.AdvanceMs(options_.create_delay_ms);
  ASSERT_TRUE(svc_->UpdateShardCount({{"young", std::nullopt}, 4}).ok());  // UPDATING
  EXPECT_TRUE(Register("young", "c").ok());
  EXPECT_TRUE(svc_->ListStreamConsumers({Arn("young"), {}, {}, {}}).ok());
  EXPECT_EQ(svc_->ListStreamConsumers({Arn("nope"), {}, {}, {}}).code(),
            Errc::kResourceNotFound);
}

TEST_F(StreamConsumersTest, LookupByArnOrByStreamAndNameOrAllThree) {
  CreateActive("s");
  CreateActive("t");
  std::string arn = RegisterActive("s", "c");
  ASSERT_TRUE(svc_->DescribeStreamConsumer({Arn("s"), "c", arn}).ok());
  auto neither = svc_->DescribeStreamConsumer({});
  EXPECT_EQ(neither.code(), Errc::kInvalidArgument);
  EXPECT_EQ(neither.message(),
            "Either ConsumerARN or both StreamARN and ConsumerName must be provided.");
  EXPECT_EQ(svc_->DescribeStreamConsumer({Arn("s"), std::nullopt, std::nullopt}).code(),
            Errc::kInvalidArgument);
  EXPECT_EQ(svc_->DescribeStreamConsumer({std::nullopt, "c", std::nullopt}).code(),
            Errc::kInvalidArgument);
  EXPECT_EQ(svc_->DeregisterStreamConsumer({std::nullopt, "c", std::nullopt}).code(),
            Errc::kInvalidArgument);
  auto other_stream = svc_->DescribeStreamConsumer({Arn("t"), std::nullopt, arn});
  EXPECT_EQ(other_stream.code(), Errc::kInvalidArgument);
  EXPECT_NE(other_stream.message().find("do not refer to the same stream"), std::string::npos);
  EXPECT_EQ(svc_->DescribeStreamConsumer({std::nullopt, "d", arn}).code(),
            Errc::kInvalidArgument);
  auto missing = ByName("s", "d");
  EXPECT_EQ(missing.code(), Errc::kResourceNotFound);
  EXPECT_EQ(missing.message(), "Consumer d under stream s under account 000000000000 not found.");
  EXPECT_EQ(ByName("nope", "c").code(), Errc::kResourceNotFound);
  // ARNs that name no consumer: wrong creation time, other account or Region, garbage.
  std::string secs = arn.substr(arn.rfind(':') + 1);
  for (std::string bad : {
           Arn("s") + "/consumer/c:" + std::to_string(std::stoll(secs) + 1),
           Arn("s") + "/consumer/c:",
           Arn("s") + "/consumer/c:12x",
           Arn("s") + "/consumer/c",
           Arn("t") + "/consumer/c:" + secs,
           Arn("nope") + "/consumer/c:" + secs,
           std::string("arn:aws:kinesis:eu-west-1:000000000000:stream/s/consumer/c:") + secs,
           std::string("arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:") + secs,
       }) {
    auto r = ByArn(bad);
    EXPECT_EQ(r.code(), Errc::kResourceNotFound) << bad;
    EXPECT_EQ(r.message(), "Consumer " + bad + " not found.");
    EXPECT_EQ(svc_->FindConsumer(bad).code(), Errc::kResourceNotFound) << bad;
  }
}

TEST_F(StreamConsumersTest, FindConsumerSeesEveryStatus) {
  CreateActive("s");
  auto c = Register("s", "c");
  ASSERT_TRUE(c.ok());
  auto found = svc_->FindConsumer(c->arn);
  ASSERT_TRUE(found.ok()) << found.message();
  EXPECT_EQ(found->status, ConsumerStatus::kCreating);
  EXPECT_EQ(found->name, "c");
  EXPECT_EQ(found->stream_name, "s");
  EXPECT_EQ(found->stream_revision, svc_->View({"s", std::nullopt}).value()->revision);
  clock_.AdvanceMs(options_.consumer_create_delay_ms);
  EXPECT_EQ(svc_->FindConsumer(c->arn)->status, ConsumerStatus::kActive);
  ASSERT_TRUE(svc_->DeregisterStreamConsumer({std::nullopt, std::nullopt, c->arn}).ok());
  EXPECT_EQ(svc_->FindConsumer(c->arn)->status, ConsumerStatus::kDeleting);
  clock_.AdvanceMs(options_.consumer_delete_delay_ms);
  EXPECT_EQ(svc_->FindConsumer(c->arn).code(), Errc::kResourceNotFound);
}

TEST_F(StreamConsumersTest, DeregisterMakesDeletingThenGone) {
  CreateActive("s");
  auto creating = Register("s", "young");
  ASSERT_TRUE(creating.ok());
  std::string arn = RegisterActive("s", "old");
  // A CREATING consumer can be deregistered too.
  ASSERT_TRUE(svc_->DeregisterStreamConsumer({Arn("s"), "young", std::nullopt}).ok());
  ASSERT_TRUE(svc_->DeregisterStreamConsumer({std::nullopt, std::nullopt, arn}).ok());
  EXPECT_EQ(ByArn(arn)->status, ConsumerStatus::kDeleting);
  EXPECT_EQ(ConsumerCount("s"), 2);
  clock_.AdvanceMs(options_.consumer_delete_delay_ms - 1);
  // Deregistering a DELETING consumer changes nothing (its deadline stays).
  ASSERT_TRUE(svc_->DeregisterStreamConsumer({std::nullopt, std::nullopt, arn}).ok());
  EXPECT_EQ(ByArn(arn)->status, ConsumerStatus::kDeleting);
  clock_.AdvanceMs(1);
  EXPECT_EQ(ByArn(arn).code(), Errc::kResourceNotFound);
  EXPECT_EQ(ConsumerCount("s"), 0);
  EXPECT_EQ(svc_->DeregisterStreamConsumer({std::nullopt, std::nullopt, arn}).code(),
            Errc::kResourceNotFound);
}

TEST_F(StreamConsumersTest, ListStreamConsumersPagesByName) {
  options_.consumer_create_delay_ms = 0;
  Reopen();
  CreateActive("s");
  CreateActive("t");
  for (const char* name : {"g", "b", "e", "a", "f", "c", "d"}) ASSERT_TRUE(Register("s", name).ok());
  std::vector<std::string> seen;
  std::optional<std::string> token;
  int pages = 0;
  do {
    auto page = svc_->ListStreamConsumers({Arn("s"), token, 3, std::nullopt});
    ASSERT_TRUE(page.ok()) << page.message();
    for (const auto& c : page->consumers) {
      seen.push_back(c.name);
      EXPECT_EQ(c.status, ConsumerStatus::kActive);
      EXPECT_EQ(c.arn, ByName("s", c.name)->arn);
    }
    token = page->next_token;
    ++pages;
  } while (token);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g"}));
  // Without MaxResults everything fits on one page (the cap is 100).
  auto all = svc_->ListStreamConsumers({Arn("s"), {}, {}, {}});
  EXPECT_EQ(all->consumers.size(), 7u);
  EXPECT_FALSE(all->next_token.has_value());
  EXPECT_TRUE(svc_->ListStreamConsumers({Arn("t"), {}, {}, {}})->consumers.empty());
  // Tokens: for their own stream only, and for 300 s.
  auto first = svc_->ListStreamConsumers({Arn("s"), {}, 2, {}});
  ASSERT_TRUE(first->next_token.has_value());
  EXPECT_EQ(svc_->ListStreamConsumers({Arn("t"), first->next_token, {}, {}}).code(),
            Errc::kInvalidArgument);
  EXPECT_EQ(svc_->ListStreamConsumers({Arn("s"), std::string("garbage"), {}, {}}).code(),
            Errc::kInvalidArgument);
  clock_.AdvanceMs(options_.next_token_ttl_ms + 1);
  EXPECT_EQ(svc_->ListStreamConsumers({Arn("s"), first->next_token, {}, {}}).code(),
            Errc::kExpiredNextToken);
}

TEST_F(StreamConsumersTest, ListStreamConsumersChecksTheStreamCreationTimestamp) {
  CreateActive("s");
  ASSERT_TRUE(Register("s", "c").ok());
  auto summary = svc_->DescribeStreamSummary({"s", std::nullopt});
  int64_t created = summary->stream.created_ms;
  auto same = svc_->ListStreamConsumers({Arn("s"), {}, {}, created});
  ASSERT_TRUE(same.ok()) << same.message();
  EXPECT_EQ(same->consumers.size(), 1u);
  // A timestamp of another incarnation of the name (whole seconds are compared).
  EXPECT_TRUE(svc_->ListStreamConsumers({Arn("s"), {}, {}, created / 1000 * 1000 + 999}).ok());
  auto other = svc_->ListStreamConsumers({Arn("s"), {}, {}, created - 5000});
  EXPECT_EQ(other.code(), Errc::kResourceNotFound);
}

TEST_F(StreamConsumersTest, DeleteStreamNeedsEnforceConsumerDeletion) {
  CreateActive("s");
  std::string arn = RegisterActive("s", "c");
  ASSERT_TRUE(Register("s", "d").ok());  // CREATING counts too
  auto refused = svc_->DeleteStream({{"s", std::nullopt}, false});
  EXPECT_EQ(refused.code(), Errc::kResourceInUse);
  EXPECT_NE(refused.message().find("has 2 registered consumer(s)"), std::string::npos)
      << refused.message();
  EXPECT_EQ(ConsumerCount("s"), 2);
  ASSERT_TRUE(svc_->DeleteStream({{"s", std::nullopt}, true}).ok());
  EXPECT_EQ(ByArn(arn)->status, ConsumerStatus::kDeleting);
  EXPECT_EQ(ByName("s", "d")->status, ConsumerStatus::kDeleting);
  clock_.AdvanceMs(options_.delete_delay_ms);
  EXPECT_EQ(ByArn(arn).code(), Errc::kResourceNotFound);
  EXPECT_EQ(svc_->DescribeStreamSummary({"s", std::nullopt}).code(), Errc::kResourceNotFound);
  // A recreated stream starts with no consumers; the old ARN names nothing.
  CreateActive("s");
  EXPECT_EQ(ConsumerCount("s"), 0);
  EXPECT_EQ(ByArn(arn).code(), Errc::kResourceNotFound);
  EXPECT_TRUE(Register("s", "c").ok());
}

TEST_F(StreamConsumersTest, DeleteStreamIgnoresConsumersAlreadyDeleting) {
  CreateActive("s");
  std::string arn = RegisterActive("s", "c");
  ASSERT_TRUE(svc_->DeregisterStreamConsumer({std::nullopt, std::nullopt, arn}).ok());
  ASSERT_TRUE(svc_->DeleteStream({{"s", std::nullopt}, false}).ok());
  clock_.AdvanceMs(options_.delete_delay_ms);
  EXPECT_EQ(svc_->DescribeStreamSummary({"s", std::nullopt}).code(), Errc::kResourceNotFound);
}

TEST_F(StreamConsumersTest, DeleteStreamWithoutDelayTakesConsumersAtOnce) {
  options_.delete_delay_ms = 0;
  Reopen();
  CreateActive("s");
  std::string arn = RegisterActive("s", "c");
  EXPECT_EQ(svc_->DeleteStream({{"s", std::nullopt}, false}).code(), Errc::kResourceInUse);
  ASSERT_TRUE(svc_->DeleteStream({{"s", std::nullopt}, true}).ok());
  EXPECT_EQ(ByArn(arn).code(), Errc::kResourceNotFound);
}

TEST_F(StreamConsumersTest, TagsOnConsumerArns) {
  CreateActive("s");
  auto c = Register("s", "c", {{"team", "data"}});
  ASSERT_TRUE(c.ok());
  auto tags = svc_->ListTagsForResource(c->arn);
  ASSERT_TRUE(tags.ok()) << tags.message();
  EXPECT_EQ(*tags, (std::vector<std::pair<std::string, std::string>>{{"team", "data"}}));
  auto early = svc_->TagResource(c->arn, {{"k", "v"}});
  EXPECT_EQ(early.code(), Errc::kResourceInUse);
  EXPECT_EQ(early.message(),
            "Consumer c with creation timestamp " + std::to_string(c->created_ms / 1000) +
                " under stream s and account 000000000000 is not in ACTIVE status.");
  clock_.AdvanceMs(options_.consumer_create_delay_ms);
  ASSERT_TRUE(svc_->TagResource(c->arn, {{"k", "v"}, {"team", "ml"}}).ok());
  ASSERT_TRUE(svc_->UntagResource(c->arn, {"k", "absent"}).ok());
  EXPECT_EQ(*svc_->ListTagsForResource(c->arn),
            (std::vector<std::pair<std::string, std::string>>{{"team", "ml"}}));
  // The stream's tags are separate.
  EXPECT_TRUE(svc_->ListTagsForResource(Arn("s"))->empty());
  EXPECT_EQ(svc_->TagResource(c->arn, {{"bad%", "v"}}).code(), Errc::kInvalidArgument);
  TagMap many;
  for (int i = 0; i < 50; ++i) many["k" + std::to_string(i)] = "v";
  auto too_many = svc_->TagResource(c->arn, many);  // 51 with "team"
  EXPECT_EQ(too_many.code(), Errc::kInvalidArgument);
  EXPECT_EQ(too_many.message(),
            "Failed to add tags to consumer c under account 000000000000 because a given consumer "
            "cannot have more than 50 tags associated with it.");
  EXPECT_EQ(Register("s", "d", {{"a\tb", "v"}}).code(), Errc::kInvalidArgument);
  EXPECT_EQ(svc_->ListTagsForResource(Arn("s") + "/consumer/c:1").code(),
            Errc::kResourceNotFound);
}

TEST_F(StreamConsumersTest, ConsumersSurviveACrashAndTransitionsResume) {
  CreateActive("s");
  std::string active = RegisterActive("s", "active");
  std::string leaving = RegisterActive("s", "leaving");
  ASSERT_TRUE(svc_->TagResource(active, {{"k", "v"}}).ok());
  auto young = Register("s", "young");
  ASSERT_TRUE(young.ok());
  ASSERT_TRUE(svc_->DeregisterStreamConsumer({std::nullopt, std::nullopt, leaving}).ok());
  fs_.SimulateCrash();
  Reopen();
  EXPECT_EQ(ByArn(active)->status, ConsumerStatus::kActive);
  EXPECT_EQ(svc_->ListTagsForResource(active)->size(), 1u);
  EXPECT_EQ(ByArn(young->arn)->status, ConsumerStatus::kCreating);
  EXPECT_EQ(ByArn(leaving)->status, ConsumerStatus::kDeleting);
  EXPECT_EQ(ConsumerCount("s"), 3);
  clock_.AdvanceMs(options_.consumer_create_delay_ms);
  EXPECT_EQ(ByArn(young->arn)->status, ConsumerStatus::kActive);
  EXPECT_EQ(ByArn(leaving).code(), Errc::kResourceNotFound);
  EXPECT_EQ(ConsumerCount("s"), 2);
}

}  // namespace
}  // namespace shoal::service
