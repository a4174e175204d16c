#include "service/data_plane.h"

#include <gtest/gtest.h>

#include <future>

#include "common/md5.h"
#include "service/sequence_number.h"
#include "service/service_test_util.h"
#include "service/throttle/limits.h"

namespace shoal::service {
namespace {

class DataPlaneTest : public testing::ServiceFixture {
 protected:
  void SetUp() override { Open(); }

  // A data plane with the `aws` limit profile.
  void UseAwsLimits() {
    data_options_.limits = LimitProfile{}.Shard();
    data_ = std::make_unique<DataPlane>(*streams_, *engine_, clock_, data_options_);
  }

  SvcResult<PutRecordsResult> PutOne(const std::string& stream, std::string_view key,
                                     std::string_view data,
                                     std::optional<std::string> ordering = std::nullopt) {
    PutRecordsRequest r;
    r.single = true;
    r.stream.name = stream;
    r.entries.push_back({key, data, std::nullopt});
    r.sequence_number_for_ordering = std::move(ordering);
    return Put(std::move(r));
  }

  std::string Iterator(const std::string& stream, const std::string& shard, IteratorType type,
                       std::optional<std::string> seq = std::nullopt,
                       std::optional<int64_t> ts = std::nullopt) {
    GetShardIteratorRequest r{{stream, std::nullopt}, shard, type, std::move(seq), ts};
    auto it = data_->GetShardIterator(r);
    EXPECT_TRUE(it.ok()) << it.message();
    return it.ok() ? *it : "";
  }

  std::vector<std::string> ReadAll(const std::string& iterator) {
    auto res = data_->GetRecords({iterator, std::nullopt, std::nullopt});
    EXPECT_TRUE(res.ok()) << res.message();
    std::vector<std::string> out;
    if (res.ok())
      for (const auto& r : res->records) out.emplace_back(r.data);
    return out;
  }
};

TEST_F(DataPlaneTest, RoutesByMd5AndReadsBackInOrder) {
  CreateStream("s", 3);
  // Spec §4.2: on 3 shards, "a" → 0, "b" → 1, "e" → 2.
  PutRecordsRequest r;
  r.stream.name = "s";
  std::vector<std::string> payloads = {"A1", "B1", "E1", "A2", ""};
  std::vector<std::string_view> keys = {"a", "b", "e", "a", "a"};
  for (size_t i = 0; i < keys.size(); ++i) r.entries.push_back({keys[i], payloads[i], std::nullopt});
  auto res = Put(std::move(r));
  ASSERT_TRUE(res.ok()) << res.message();
  EXPECT_EQ(res->failed_count, 0);
  EXPECT_EQ(res->entries[0].shard_id, "shardId-000000000000");
  EXPECT_EQ(res->entries[1].shard_id, "shardId-000000000001");
  EXPECT_EQ(res->entries[2].shard_id, "shardId-000000000002");
  EXPECT_EQ(res->entries[0].sequence_number.size(), 56u);
  auto s0 = SequenceNumber::Parse(res->entries[0].sequence_number);
  auto s3 = SequenceNumber::Parse(res->entries[3].sequence_number);
  ASSERT_TRUE(s0 && s3);
  EXPECT_LT(s0->counter, s3->counter);
  EXPECT_EQ(ReadAll(Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon)),
            (std::vector<std::string>{"A1", "A2", ""}));
  EXPECT_EQ(ReadAll(Iterator("s", "shardId-000000000002", IteratorType::kTrimHorizon)),
            (std::vector<std::string>{"E1"}));
}

TEST_F(DataPlaneTest, ExplicitHashKeyRoutesAndIsChecked) {
  CreateStream("s", 2);
  PutRecordsRequest r;
  r.stream.name = "s";
  r.entries.push_back({"a", "x", "340282366920938463463374607431768211455"});
  auto res = Put(std::move(r));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->entries[0].shard_id, "shardId-000000000001");
  PutRecordsRequest bad;
  bad.stream.name = "s";
  bad.entries.push_back({"a", "x", "340282366920938463463374607431768211456"});
  auto err = Put(std::move(bad));
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.code(), Errc::kInvalidArgument);
  EXPECT_EQ(err.message(), "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: "
                           "[0, 2^128-1]. Specified value was 340282366920938463463374607431768211456");
}

TEST_F(DataPlaneTest, StreamStateAndSizeRules) {
  options_.create_delay_ms = 500;
  Close();
  Open();
  CreateStream("young", 1);
  auto creating = PutOne("young", "k", "v");
  EXPECT_EQ(creating.code(), Errc::kResourceNotFound);
  EXPECT_EQ(creating.message(), "Stream young under account 000000000000 not found.");
  EXPECT_EQ(PutOne("missing", "k", "v").code(), Errc::kResourceNotFound);
  clock_.AdvanceMs(500);
  std::string max(1024 * 1024 - 1, 'x');
  EXPECT_TRUE(PutOne("young", "k", max).ok());
  std::string over(1024 * 1024 + 1, 'x');
  auto big = PutOne("young", "k", over);
  EXPECT_EQ(big.code(), Errc::kValidation);
  EXPECT_EQ(big.message(),
            "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1048577 "
            "cap=1048577]' at 'data' failed to satisfy constraint: Member must have length less "
            "than or equal to 1048576");
}

TEST_F(DataPlaneTest, SequenceNumberForOrdering) {
  CreateStream("s", 1);
  auto first = PutOne("s", "k", "1");
  ASSERT_TRUE(first.ok());
  auto second = PutOne("s", "k", "2", first->entries[0].sequence_number);
  ASSERT_TRUE(second.ok());
  auto a = SequenceNumber::Parse(first->entries[0].sequence_number);
  auto b = SequenceNumber::Parse(second->entries[0].sequence_number);
  EXPECT_GT(b->counter, a->counter);
  // A number far ahead of the shard pushes the counter past it.
  SequenceNumber ahead = *b;
  ahead.counter += 1000;
  auto third = PutOne("s", "k", "3", ahead.ToString());
  ASSERT_TRUE(third.ok());
  EXPECT_GT(SequenceNumber::Parse(third->entries[0].sequence_number)->counter, ahead.counter);
  auto bad = PutOne("s", "k", "4", "12345");
  EXPECT_EQ(bad.code(), Errc::kInvalidArgument);
}

TEST_F(DataPlaneTest, IteratorTypes) {
  CreateStream("s", 1);
  const std::string shard = "shardId-000000000000";
  auto r1 = PutOne("s", "k", "one");
  std::string latest = Iterator("s", shard, IteratorType::kLatest);
  clock_.AdvanceMs(2000);
  int64_t t2 = clock_.NowMs();
  auto r2 = PutOne("s", "k", "two");
  ASSERT_TRUE(r1.ok() && r2.ok());
  // LATEST is pinned when taken: it returns what came after.
  EXPECT_EQ(ReadAll(latest), (std::vector<std::string>{"two"}));
  std::string seq1 = r1->entries[0].sequence_number;
  EXPECT_EQ(ReadAll(Iterator("s", shard, IteratorType::kAtSequenceNumber, seq1)),
            (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(ReadAll(Iterator("s", shard, IteratorType::kAfterSequenceNumber, seq1)),
            (std::vector<std::string>{"two"}));
  EXPECT_EQ(ReadAll(Iterator("s", shard, IteratorType::kAtTimestamp, std::nullopt, t2)),
            (std::vector<std::string>{"two"}));

  GetShardIteratorRequest bad{{"s", std::nullopt}, shard, IteratorType::kTrimHorizon, seq1, {}};
  auto e = data_->GetShardIterator(bad);
  EXPECT_EQ(e.code(), Errc::kInvalidArgument);
  EXPECT_EQ(e.message(), "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
                         "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no "
                         "StartingSequenceNumber. Request specified TRIM_HORIZON and also a "
                         "StartingSequenceNumber.");
  bad = {{"s", std::nullopt}, shard, IteratorType::kAtTimestamp, {}, {}};
  EXPECT_EQ(data_->GetShardIterator(bad).code(), Errc::kInvalidArgument);
  bad.timestamp_ms = clock_.NowMs() + 60'000;
  EXPECT_EQ(data_->GetShardIterator(bad).code(), Errc::kInvalidArgument);
  bad = {{"s", std::nullopt}, "shardId-000000000009", IteratorType::kLatest, {}, {}};
  e = data_->GetShardIterator(bad);
  EXPECT_EQ(e.code(), Errc::kResourceNotFound);
  EXPECT_EQ(e.message(), "Shard shardId-000000000009 in stream s under account 000000000000 does not exist");
  bad.shard_id = "nonsense";
  EXPECT_EQ(data_->GetShardIterator(bad).message(),
            "Could not find shard nonsense in stream s under account 000000000000.");
}

TEST_F(DataPlaneTest, SequenceNumbersOfOtherShardsAndStreamsAreRejected) {
  CreateStream("s", 2);
  auto r = PutOne("s", "a", "x");  // shard 0
  ASSERT_TRUE(r.ok());
  GetShardIteratorRequest req{{"s", std::nullopt}, "shardId-000000000001",
                              IteratorType::kAtSequenceNumber, r->entries[0].sequence_number, {}};
  auto e = data_->GetShardIterator(req);
  EXPECT_EQ(e.code(), Errc::kInvalidArgument);
  EXPECT_EQ(e.message(), "Invalid StartingSequenceNumber. It encodes shardId-000000000000, while "
                         "it was used in a call to a shard with shardId-000000000001");
  SequenceNumber other = *SequenceNumber::Parse(r->entries[0].sequence_number);
  other.create_secs -= 10;  // an earlier incarnation of the shard
  req = {{"s", std::nullopt}, "shardId-000000000000", IteratorType::kAtSequenceNumber,
         other.ToString(), {}};
  EXPECT_NE(data_->GetShardIterator(req).message().find("did not come from this stream"),
            std::string::npos);
}

TEST_F(DataPlaneTest, GetRecordsPagingAndIteratorLifetime) {
  CreateStream("s", 1);
  PutRecordsRequest r;
  r.stream.name = "s";
  std::vector<std::string> payloads;
  for (int i = 0; i < 25; ++i) payloads.push_back(std::to_string(i));
  for (auto& p : payloads) r.entries.push_back({"k", p, std::nullopt});
  ASSERT_TRUE(Put(std::move(r)).ok());
  std::string it = Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon);
  std::vector<std::string> seen;
  for (int page = 0; page < 4; ++page) {
    auto res = data_->GetRecords({it, 10, std::nullopt});
    ASSERT_TRUE(res.ok());
    for (const auto& rec : res->records) seen.emplace_back(rec.data);
    ASSERT_TRUE(res->next_shard_iterator);  // always present on an open shard
    EXPECT_EQ(res->millis_behind_latest, 0);
    it = *res->next_shard_iterator;
  }
  EXPECT_EQ(seen, payloads);
  auto again = data_->GetRecords({it, std::nullopt, std::nullopt});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->records.empty());
  EXPECT_TRUE(again->next_shard_iterator);

  clock_.AdvanceMs(300'001);
  auto expired = data_->GetRecords({it, std::nullopt, std::nullopt});
  EXPECT_EQ(expired.code(), Errc::kExpiredIterator);
  EXPECT_NE(expired.message().find("Iterator expired. The iterator was created at time "),
            std::string::npos);
  std::string tampered = Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon);
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'a' ? 'b' : 'a';
  auto bad = data_->GetRecords({tampered, std::nullopt, std::nullopt});
  EXPECT_EQ(bad.code(), Errc::kInvalidArgument);
  EXPECT_EQ(bad.message(), "Invalid ShardIterator.");
}

TEST_F(DataPlaneTest, IteratorsDoNotCrossIntoARecreatedStream) {
  CreateStream("s", 1);
  ASSERT_TRUE(PutOne("s", "k", "old").ok());
  std::string it = Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon);
  ASSERT_TRUE(streams_->DeleteStream({{"s", std::nullopt}, false}).ok());
  CreateStream("s", 1);
  ASSERT_TRUE(PutOne("s", "k", "new").ok());
  auto res = data_->GetRecords({it, std::nullopt, std::nullopt});
  EXPECT_EQ(res.code(), Errc::kResourceNotFound);
  EXPECT_EQ(ReadAll(Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon)),
            (std::vector<std::string>{"new"}));
}

TEST_F(DataPlaneTest, RetentionHidesAndTrimsOldRecords) {
  CreateStream("s", 1);
  ASSERT_TRUE(PutOne("s", "k", "old").ok());
  clock_.AdvanceMs(23 * 3'600'000);
  ASSERT_TRUE(PutOne("s", "k", "new").ok());
  clock_.AdvanceMs(1 * 3'600'000 + 1);
  data_->EnforceRetention();
  EXPECT_EQ(ReadAll(Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon)),
            (std::vector<std::string>{"new"}));
}

TEST_F(DataPlaneTest, AcknowledgedRecordsSurviveACrash) {
  CreateStream("s", 2);
  std::vector<std::string> acked;
  for (int i = 0; i < 20; ++i) {
    std::string v = "v" + std::to_string(i);
    ASSERT_TRUE(PutOne("s", "a", v).ok());
    acked.push_back(v);
  }
  engine_->Stop();
  fs_.SimulateCrash();
  Close();
  Open();
  EXPECT_EQ(ReadAll(Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon)), acked);
  auto more = PutOne("s", "a", "after");
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(ReadAll(Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon)).back(),
            "after");
}

TEST_F(DataPlaneTest, PutRecordsRejectsOnlyTheEntriesOverTheirShardsBudget) {
  CreateStream("s", 2);
  UseAwsLimits();
  // "a" → shard 0 and "b" → shard 1 of 2 (spec §4.2). 1,500 records of 1 KiB for shard 0
  // (three requests of 500) and a few for shard 1 interleaved.
  std::string kib(1024 - 1, 'x');  // + the 1-character key = 1 KiB
  int64_t ok0 = 0, throttled0 = 0, ok1 = 0;
  for (int req = 0; req < 3; ++req) {
    PutRecordsRequest r;
    r.stream.name = "s";
    for (int i = 0; i < 500; ++i) r.entries.push_back({i % 100 == 0 ? "b" : "a", kib, std::nullopt});
    auto res = Put(std::move(r));
    ASSERT_TRUE(res.ok()) << res.message();
    int64_t failed = 0;
    for (size_t i = 0; i < res->entries.size(); ++i) {
      const PutResultEntry& e = res->entries[i];
      bool to_b = i % 100 == 0;
      if (e.ok()) {
        EXPECT_EQ(e.shard_id, to_b ? "shardId-000000000001" : "shardId-000000000000");
        (to_b ? ok1 : ok0) += 1;
        continue;
      }
      ++failed;
      EXPECT_FALSE(to_b) << "shard 1 is far below its budget";
      EXPECT_EQ(e.error_code, "ProvisionedThroughputExceededException");
      EXPECT_EQ(e.error_message,
                "Rate exceeded for shard shardId-000000000000 in stream s under account "
                "000000000000.");
      EXPECT_TRUE(e.shard_id.empty() && e.sequence_number.empty());
      ++throttled0;
    }
    EXPECT_EQ(res->failed_count, failed);
  }
  // One second's burst of 1 MiB: 1024 records of 1 KiB (the record budget allows 1,000).
  EXPECT_EQ(ok0, 1000);
  EXPECT_EQ(throttled0, 1500 - 15 - 1000);
  EXPECT_EQ(ok1, 15);
  // The admitted records were written, in order; the refused ones were not.
  auto it = Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon);
  auto got = data_->GetRecords({it, std::nullopt, std::nullopt});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->records.size(), 1000u);
  // A second later the shard takes writes again.
  clock_.AdvanceMs(1000);
  PutRecordsRequest again;
  again.stream.name = "s";
  again.entries.push_back({"a", kib, std::nullopt});
  auto res = Put(std::move(again));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->failed_count, 0);
}

TEST_F(DataPlaneTest, PutRecordFailsTheCallWhenThrottled) {
  CreateStream("s", 1);
  UseAwsLimits();
  std::string half_mib(512 * 1024, 'x');
  ASSERT_TRUE(PutOne("s", "k", half_mib).ok());
  ASSERT_TRUE(PutOne("s", "k", std::string(512 * 1024 - 2, 'x')).ok());  // exactly 1 MiB in all
  auto res = PutOne("s", "k", "x");
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.code(), Errc::kProvisionedThroughputExceeded);
  EXPECT_EQ(res.message(), "Rate exceeded for shard shardId-000000000000 in stream s under "
                           "account 000000000000.");
  clock_.AdvanceMs(1);
  EXPECT_TRUE(PutOne("s", "k", "x").ok());
}

TEST_F(DataPlaneTest, GetRecordsReadLimitsAndPenalty) {
  CreateStream("s", 1);
  UseAwsLimits();
  auto it = Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(data_->GetRecords({it, std::nullopt, std::nullopt}).ok()) << i;
  }
  auto res = data_->GetRecords({it, std::nullopt, std::nullopt});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.code(), Errc::kProvisionedThroughputExceeded);
  EXPECT_EQ(res.message(), "Rate exceeded for shard shardId-000000000000 in stream s under "
                           "account 000000000000.");
  clock_.AdvanceMs(1000);
  // 10 MiB in the shard (written over ten seconds), read in one call: the next 5 s refused.
  std::string mib(1024 * 1024 - 1, 'x');
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(PutOne("s", "k", mib).ok()) << i;
    clock_.AdvanceMs(1000);
  }
  auto big = data_->GetRecords({it, std::nullopt, std::nullopt});
  ASSERT_TRUE(big.ok()) << big.message();
  EXPECT_EQ(big->records.size(), 10u);
  clock_.AdvanceMs(4999);
  EXPECT_EQ(data_->GetRecords({it, std::nullopt, std::nullopt}).code(),
            Errc::kProvisionedThroughputExceeded);
  clock_.AdvanceMs(1);
  EXPECT_TRUE(data_->GetRecords({it, std::nullopt, std::nullopt}).ok());
}

TEST_F(DataPlaneTest, GetShardIteratorFivePerSecondPerShard) {
  CreateStream("s", 2);
  UseAwsLimits();
  GetShardIteratorRequest r{{"s", std::nullopt}, "shardId-000000000000", IteratorType::kLatest,
                            std::nullopt, std::nullopt};
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(data_->GetShardIterator(r).ok()) << i;
  auto res = data_->GetShardIterator(r);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.code(), Errc::kProvisionedThroughputExceeded);
  EXPECT_EQ(res.message(), "Rate exceeded for shard shardId-000000000000 in stream s under "
                           "account 000000000000.");
  r.shard_id = "shardId-000000000001";
  EXPECT_TRUE(data_->GetShardIterator(r).ok());
  clock_.AdvanceMs(200);
  r.shard_id = "shardId-000000000000";
  EXPECT_TRUE(data_->GetShardIterator(r).ok());
}

TEST_F(DataPlaneTest, NoLimitsByDefault) {
  CreateStream("s", 1);
  std::string kib(1023, 'x');
  for (int req = 0; req < 4; ++req) {
    PutRecordsRequest r;
    r.stream.name = "s";
    for (int i = 0; i < 500; ++i) r.entries.push_back({"a", kib, std::nullopt});
    auto res = Put(std::move(r));
    ASSERT_TRUE(res.ok());
    EXPECT_EQ(res->failed_count, 0);
  }
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(data_->GetRecords({Iterator("s", "shardId-000000000000",
                                            IteratorType::kTrimHorizon),
                                   std::nullopt, std::nullopt})
                    .ok());
  }
  EXPECT_EQ(data_->limiter().TrackedShards(), 0u);
}

}  // namespace
}  // namespace shoal::service
