#include "fanout.h"

#include <gtest/gtest.h>

#include <set>

#include "payload.h"

namespace shoal::loadgen {
namespace {

using namespace std::chrono_literals;

TEST(FanoutPlan, TwentyConsumersAndCeilShards) {
  auto p = MakeFanoutPlan(1000);
  EXPECT_EQ(p.consumers, 20);
  EXPECT_EQ(p.shards, 50);
  ASSERT_EQ(p.subs.size(), 1000u);
  for (int n : p.subs_per_shard) EXPECT_EQ(n, 20);

  auto q = MakeFanoutPlan(1001);
  EXPECT_EQ(q.shards, 51);
  EXPECT_EQ(q.subs_per_shard.back(), 1);
  EXPECT_EQ(q.subs.back().shard, 50);
  EXPECT_EQ(q.subs.back().consumer, 0);
}

TEST(FanoutPlan, FewSubscriptionsUseFewerConsumersAndEveryPairOnce) {
  auto p = MakeFanoutPlan(7);
  EXPECT_EQ(p.consumers, 7);
  EXPECT_EQ(p.shards, 1);
  auto q = MakeFanoutPlan(45, 20);
  std::set<std::pair<int, int>> pairs;
  for (auto s : q.subs) {
    EXPECT_LT(s.consumer, 20);
    EXPECT_LT(s.shard, 3);
    pairs.emplace(s.consumer, s.shard);
  }
  EXPECT_EQ(pairs.size(), 45u);  // one subscription per (consumer, shard), as AWS requires
  EXPECT_EQ(MakeFanoutPlan(10, 4).shards, 3);
  EXPECT_EQ(MakeFanoutPlan(10, 99).consumers, 10);  // clamped to 20, then to N
}

TEST(Probe, RoundTripsRawAndBase64AtAnySize) {
  Probe p{.sent_ns = 0x0123456789abcdefull, .shard = 49, .number = 123456789, .measured = true};
  for (size_t bytes : {size_t{1}, size_t{32}, size_t{33}, size_t{34}, size_t{35}, size_t{100}, size_t{1024}}) {
    std::string raw = EncodeProbe(p, bytes);
    EXPECT_EQ(raw.size(), std::max<size_t>(bytes, 32));
    Probe a, b;
    ASSERT_TRUE(DecodeProbe(raw, a));
    ASSERT_TRUE(DecodeProbeBase64(Base64Encode(raw), b)) << bytes;
    for (const Probe& q : {a, b}) {
      EXPECT_EQ(q.sent_ns, p.sent_ns);
      EXPECT_EQ(q.shard, p.shard);
      EXPECT_EQ(q.number, p.number);
      EXPECT_TRUE(q.measured);
    }
  }
  Probe w;
  p.measured = false;
  ASSERT_TRUE(DecodeProbe(EncodeProbe(p, 32), w));
  EXPECT_FALSE(w.measured);
}

TEST(Probe, RejectsOtherData) {
  Probe out;
  EXPECT_FALSE(DecodeProbe(std::string(32, 'x'), out));
  EXPECT_FALSE(DecodeProbe(EncodeProbe({}, 32).substr(0, 31), out));
  EXPECT_FALSE(DecodeProbeBase64("aGVsbG8=", out));
  EXPECT_FALSE(DecodeProbeBase64(Base64Encode(std::string(64, 'x')), out));
  EXPECT_FALSE(DecodeProbeBase64(std::string(44, '!'), out));
}

TEST(ReceivedSet, CountsAndDuplicates) {
  ReceivedSet s;
  EXPECT_TRUE(s.Mark(5));
  EXPECT_FALSE(s.Mark(5));
  EXPECT_TRUE(s.Mark(0));
  EXPECT_TRUE(s.Mark(100000));
  EXPECT_EQ(s.count(), 3u);
  EXPECT_TRUE(s.Has(0));
  EXPECT_TRUE(s.Has(100000));
  EXPECT_FALSE(s.Has(1));
  EXPECT_FALSE(s.Has(1u << 30));
}

TEST(NextSubscribeAt, FiveSecondRule) {
  using TP = std::chrono::steady_clock::time_point;
  TP t0 = TP{} + 1000s;
  // Never subscribed: now (+ backoff).
  EXPECT_EQ(NextSubscribeAt(TP{}, t0), t0);
  EXPECT_EQ(NextSubscribeAt(TP{}, t0, 200ms), t0 + 200ms);
  // A subscription that ended 1 s after it started waits for the rest of the 5 s (+ margin).
  EXPECT_EQ(NextSubscribeAt(t0, t0 + 1s), t0 + 5s + 50ms);
  // One that lived longer than 5 s may resubscribe at once.
  EXPECT_EQ(NextSubscribeAt(t0, t0 + 300s), t0 + 300s);
  EXPECT_EQ(NextSubscribeAt(t0, t0 + 300s, 1s), t0 + 301s);
  EXPECT_EQ(NextSubscribeAt(t0, t0, 0ns, 2s, 0ns), t0 + 2s);
}

TEST(ParseFanoutEvent, DataAndContinuation) {
  simdjson::dom::parser parser;
  FanoutEvent ev;
  ASSERT_TRUE(ParseFanoutEvent(parser,
                               R"({"Records":[{"Data":"AAA=","PartitionKey":"k","SequenceNumber":"1"},)"
                               R"({"Data":"BBB=","PartitionKey":"k","SequenceNumber":"2"}],)"
                               R"("ContinuationSequenceNumber":"2","MillisBehindLatest":0})",
                               ev));
  ASSERT_EQ(ev.data.size(), 2u);
  EXPECT_EQ(ev.data[0], "AAA=");
  EXPECT_EQ(ev.data[1], "BBB=");
  EXPECT_EQ(ev.continuation, "2");
  // Heartbeat: no records; end of a closed shard: ChildShards and no continuation.
  ASSERT_TRUE(ParseFanoutEvent(parser, R"({"Records":[],"ContinuationSequenceNumber":"7","MillisBehindLatest":0})", ev));
  EXPECT_TRUE(ev.data.empty());
  EXPECT_EQ(ev.continuation, "7");
  ASSERT_TRUE(ParseFanoutEvent(parser, R"({"Records":[],"ChildShards":[],"MillisBehindLatest":0})", ev));
  EXPECT_EQ(ev.continuation, "");
  EXPECT_FALSE(ParseFanoutEvent(parser, R"({"Nope":1})", ev));
  EXPECT_FALSE(ParseFanoutEvent(parser, "not json", ev));
}

}  // namespace
}  // namespace shoal::loadgen
