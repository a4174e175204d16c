#include "subscription.h"

#include <gtest/gtest.h>

#include "kinesis.h"

namespace shoal::loadgen {
namespace {

TEST(ChunkedDecoder, DecodesAcrossArbitrarySplits) {
  const std::string wire = "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n";
  for (size_t split = 0; split <= wire.size(); ++split) {
    ChunkedDecoder d;
    std::string out;
    auto a = d.Feed(std::string_view(wire).substr(0, split), out);
    auto b = d.Feed(std::string_view(wire).substr(split), out);
    EXPECT_EQ(out, "hello, world") << split;
    EXPECT_EQ(b, ChunkedDecoder::Status::kDone) << split;
    if (split < wire.size()) {
      EXPECT_EQ(a, ChunkedDecoder::Status::kMore) << split;
    }
  }
}

TEST(ChunkedDecoder, RejectsBadSizesAndMissingCrlf) {
  ChunkedDecoder d1;
  std::string out;
  EXPECT_EQ(d1.Feed("zz\r\n", out), ChunkedDecoder::Status::kError);
  ChunkedDecoder d2;
  EXPECT_EQ(d2.Feed("2\r\nabX\r\n", out), ChunkedDecoder::Status::kError);
}

TEST(SubscribeParsers, ConsumerAndEvent) {
  ConsumerInfo c;
  ASSERT_TRUE(ParseConsumer(R"({"Consumer":{"ConsumerARN":"arn:c","ConsumerStatus":"CREATING"}})", c));
  EXPECT_EQ(c.arn, "arn:c");
  EXPECT_EQ(c.status, "CREATING");
  ASSERT_TRUE(ParseConsumer(R"({"ConsumerDescription":{"ConsumerARN":"arn:d","ConsumerStatus":"ACTIVE"}})", c));
  EXPECT_EQ(c.status, "ACTIVE");
  EXPECT_FALSE(ParseConsumer(R"({"Other":1})", c));

  SubscribeEvent ev;
  ASSERT_TRUE(ParseSubscribeEvent(
      R"({"Records":[{"Data":"eA==","SequenceNumber":"12"},{"SequenceNumber":"13"}],"ContinuationSequenceNumber":"13","MillisBehindLatest":0})",
      ev));
  EXPECT_EQ(ev.sequence_numbers, (std::vector<std::string>{"12", "13"}));
  EXPECT_EQ(ev.continuation, "13");
  EXPECT_FALSE(ParseSubscribeEvent("{}", ev));

  std::string body;
  BuildSubscribeToShard(body, "arn:c", "shardId-0", "AFTER_SEQUENCE_NUMBER", "42");
  EXPECT_EQ(body, R"({"ConsumerARN":"arn:c","ShardId":"shardId-0","StartingPosition":{"Type":"AFTER_SEQUENCE_NUMBER","SequenceNumber":"42"}})");
}

}  // namespace
}  // namespace shoal::loadgen
