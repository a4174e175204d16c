// SubscribeToShard's decisions (Subscription) and rules (FanOut::Subscribe) on the real
// service and storage engine, with an in-memory file system and a fake clock.

#include "service/fanout/subscription.h"

#include <gtest/gtest.h>

#include "service/fanout/fan_out.h"
#include "service/service_test_util.h"

namespace shoal::service {
namespace {

using Kind = Subscription::Step::Kind;

class SubscriptionTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    options_.update_delay_ms = 0;
    options_.consumer_create_delay_ms = 0;
    Open();
    CreateStream("s", 1);
    auto consumer = streams_->RegisterStreamConsumer({streams_->StreamArn("s"), "c", {}});
    ASSERT_TRUE(consumer.ok()) << consumer.message();
    clock_.AdvanceMs(1);
    auto active = streams_->FindConsumer(consumer->arn);
    ASSERT_TRUE(active.ok());
    consumer_ = *active;
  }
  void TearDown() override {
    fanout_.reset();
    ServiceFixture::TearDown();
  }

  std::unique_ptr<Subscription> Subscribe(IteratorType type,
                                          std::optional<std::string> seq = std::nullopt) {
    auto cursor = data_->Seek({StreamRef{"s", std::nullopt}, "shardId-000000000000", type, seq,
                               std::nullopt});
    EXPECT_TRUE(cursor.ok()) << cursor.message();
    return std::make_unique<Subscription>(*streams_, *data_, *cursor, consumer_, fan_options_,
                                          clock_.NowMs());
  }

  // Puts one record per payload (same key) and returns their sequence numbers.
  std::vector<std::string> Put(const std::vector<std::string>& payloads) {
    PutRecordsRequest r;
    r.stream = StreamRef{"s", std::nullopt};
    for (const auto& p : payloads) r.entries.push_back({"key", p, std::nullopt});
    auto res = ServiceFixture::Put(std::move(r));
    EXPECT_TRUE(res.ok());
    std::vector<std::string> seqs;
    for (const auto& e : res->entries) seqs.push_back(e.sequence_number);
    return seqs;
  }

  static std::vector<std::string> Data(const Subscription::Step& s) {
    std::vector<std::string> out;
    for (const auto& r : s.event.batch.records) out.emplace_back(r.data);
    return out;
  }

  FanOutOptions fan_options_;
  std::unique_ptr<FanOut> fanout_;
  ConsumerInfo consumer_;
};

TEST_F(SubscriptionTest, LatestWaitsThenDeliversNewRecordsWithTheirContinuation) {
  Put({"old"});
  auto sub = Subscribe(IteratorType::kLatest);
  auto idle = sub->Next(clock_.NowMs());
  ASSERT_EQ(idle.kind, Kind::kIdle);
  EXPECT_EQ(idle.wake_at_ms, clock_.NowMs() + fan_options_.heartbeat_ms);
  auto seqs = Put({"a", "b"});
  auto ev = sub->Next(clock_.NowMs());
  ASSERT_EQ(ev.kind, Kind::kEvent);
  EXPECT_EQ(Data(ev), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ev.event.continuation, seqs[1]);
  EXPECT_EQ(ev.event.batch.millis_behind_latest, 0);
  EXPECT_FALSE(ev.last);
  EXPECT_EQ(sub->Next(clock_.NowMs()).kind, Kind::kIdle);
}

TEST_F(SubscriptionTest, IdleSubscriptionsGetHeartbeatsWhoseContinuationResumesWithoutAGap) {
  auto sub = Subscribe(IteratorType::kTrimHorizon);
  EXPECT_EQ(sub->Next(clock_.NowMs()).kind, Kind::kIdle);
  clock_.AdvanceMs(fan_options_.heartbeat_ms);
  auto beat = sub->Next(clock_.NowMs());
  ASSERT_EQ(beat.kind, Kind::kEvent);
  EXPECT_TRUE(beat.event.batch.records.empty());
  ASSERT_TRUE(beat.event.continuation);
  // Resubscribing after the heartbeat's continuation starts at the first record.
  Put({"first", "second"});
  auto again = Subscribe(IteratorType::kAfterSequenceNumber, beat.event.continuation);
  auto ev = again->Next(clock_.NowMs());
  ASSERT_EQ(ev.kind, Kind::kEvent);
  EXPECT_EQ(Data(ev), (std::vector<std::string>{"first", "second"}));
  // And after the last delivered record, nothing is delivered twice.
  auto third = Put({"third"});
  auto resumed = Subscribe(IteratorType::kAfterSequenceNumber, ev.event.continuation);
  auto next = resumed->Next(clock_.NowMs());
  ASSERT_EQ(next.kind, Kind::kEvent);
  EXPECT_EQ(Data(next), std::vector<std::string>{"third"});
  EXPECT_EQ(next.event.continuation, third[0]);
}

TEST_F(SubscriptionTest, EndsAfterItsLifetime) {
  auto sub = Subscribe(IteratorType::kLatest);
  clock_.AdvanceMs(fan_options_.lifetime_ms - 1);
  EXPECT_EQ(sub->Next(clock_.NowMs()).kind, Kind::kEvent);  // a heartbeat
  clock_.AdvanceMs(1);
  EXPECT_EQ(sub->Next(clock_.NowMs()).kind, Kind::kEnd);
  EXPECT_EQ(sub->Next(clock_.NowMs()).kind, Kind::kEnd);
}

TEST_F(SubscriptionTest, ClosedShardEndsWithChildShardsAndNoContinuation) {
  auto sub = Subscribe(IteratorType::kTrimHorizon);
  Put({"before"});
  ASSERT_TRUE(streams_->SplitShard({StreamRef{"s", std::nullopt}, "shardId-000000000000",
                                    "170141183460469231731687303715884105728"})
                  .ok());
  auto ev = sub->Next(clock_.NowMs());
  ASSERT_EQ(ev.kind, Kind::kEvent);
  EXPECT_EQ(Data(ev), std::vector<std::string>{"before"});
  EXPECT_TRUE(ev.event.continuation);
  auto end = sub->Next(clock_.NowMs());
  ASSERT_EQ(end.kind, Kind::kEvent);
  EXPECT_TRUE(end.last);
  EXPECT_FALSE(end.event.continuation);
  ASSERT_EQ(end.event.batch.child_shards.size(), 2u);
  EXPECT_EQ(end.event.batch.child_shards[0].shard_id, "shardId-000000000001");
  EXPECT_EQ(sub->Next(clock_.NowMs()).kind, Kind::kEnd);
}

TEST_F(SubscriptionTest, TakeOverAndDeletedStreamsEndWithAnError) {
  auto sub = Subscribe(IteratorType::kLatest);
  sub->TakeOver();
  auto step = sub->Next(clock_.NowMs());
  ASSERT_EQ(step.kind, Kind::kError);
  EXPECT_EQ(step.error.code(), Errc::kResourceInUse);
  auto other = Subscribe(IteratorType::kLatest);
  ASSERT_TRUE(streams_->DeleteStream({StreamRef{"s", std::nullopt}, true}).ok());
  clock_.AdvanceMs(1);
  auto gone = other->Next(clock_.NowMs());
  ASSERT_EQ(gone.kind, Kind::kError);
  EXPECT_EQ(gone.error.code(), Errc::kResourceNotFound);
}

// Over its read budget a subscription waits: the push is delayed until the budget refills.
TEST_F(SubscriptionTest, ReadLimitDelaysPushesUntilTheBudgetRefills) {
  fan_options_.read_bytes_per_sec = 1000;
  fan_options_.max_event_bytes = 1000;
  auto sub = Subscribe(IteratorType::kTrimHorizon);
  std::string blob(997, 'x');  // + the 3-byte key: 1000 bytes a record
  Put({blob, blob, blob});
  auto first = sub->Next(clock_.NowMs());
  ASSERT_EQ(first.kind, Kind::kEvent);
  EXPECT_EQ(first.event.batch.records.size(), 1u);
  auto wait = sub->Next(clock_.NowMs());
  ASSERT_EQ(wait.kind, Kind::kIdle);
  EXPECT_LE(wait.wake_at_ms, clock_.NowMs() + 1000);
  clock_.AdvanceMs(500);  // half the budget back: one more record, the budget in debt
  auto second = sub->Next(clock_.NowMs());
  ASSERT_EQ(second.kind, Kind::kEvent);
  EXPECT_EQ(second.event.batch.records.size(), 1u);
  auto debt = sub->Next(clock_.NowMs());
  ASSERT_EQ(debt.kind, Kind::kIdle);
  EXPECT_EQ(debt.wake_at_ms, clock_.NowMs() + 501);
  clock_.AdvanceMs(501);
  EXPECT_EQ(sub->Next(clock_.NowMs()).kind, Kind::kEvent);
}

TEST_F(SubscriptionTest, FanOutChecksTheConsumerAndTheResubscribeRule) {
  fanout_ = std::make_unique<FanOut>(*streams_, *data_, clock_, fan_options_);
  SubscribeRequest r{consumer_.arn, "shardId-000000000000", IteratorType::kLatest, {}, {}};
  auto first = fanout_->Subscribe(r);
  ASSERT_TRUE(first.ok()) << first.message();
  clock_.AdvanceMs(fan_options_.resubscribe_ms - 1);
  auto early = fanout_->Subscribe(r);
  EXPECT_EQ(early.code(), Errc::kResourceInUse);
  EXPECT_EQ(early.message(), "Another active subscription exists for this consumer: " + consumer_.arn);
  clock_.AdvanceMs(1);
  auto later = fanout_->Subscribe(r);
  ASSERT_TRUE(later.ok()) << later.message();
  // The older subscription was taken over.
  EXPECT_EQ((*first)->Next(clock_.NowMs()).kind, Kind::kError);

  auto missing = fanout_->Subscribe({consumer_.arn + "x", "shardId-000000000000",
                                     IteratorType::kLatest, {}, {}});
  EXPECT_EQ(missing.code(), Errc::kResourceNotFound);
  auto bad_shard = fanout_->Subscribe({consumer_.arn, "shardId-000000000009",
                                       IteratorType::kLatest, {}, {}});
  EXPECT_EQ(bad_shard.code(), Errc::kResourceNotFound);
  auto bad_seq = fanout_->Subscribe({consumer_.arn, "shardId-000000000000",
                                     IteratorType::kAtSequenceNumber, "12", {}});
  EXPECT_EQ(bad_seq.code(), Errc::kInvalidArgument);

  // A consumer being deregistered (DELETING for consumer_delete_delay_ms) is not ACTIVE.
  ASSERT_TRUE(streams_->DeregisterStreamConsumer({std::nullopt, std::nullopt, consumer_.arn}).ok());
  auto not_active = fanout_->Subscribe(r);
  ASSERT_FALSE(not_active.ok());
  EXPECT_EQ(not_active.code(), Errc::kResourceInUse);
  EXPECT_NE(not_active.message().find("is not in ACTIVE status."), std::string::npos);
}

}  // namespace
}  // namespace shoal::service
