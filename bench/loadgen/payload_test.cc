#include "payload.h"

#include <gtest/gtest.h>

#include "kinesis.h"

namespace shoal::loadgen {
namespace {

TEST(PayloadTest, PutRecordsBodiesAreValidAndSeeded) {
  PayloadOptions o;
  o.stream = "bench";
  o.records_per_request = 7;
  o.record_bytes = 100;
  o.keys = 3;
  o.payloads = 2;
  o.bodies = 4;
  o.seed = 42;
  BodyPool a = MakePutRecordsPool(o);
  BodyPool b = MakePutRecordsPool(o);
  ASSERT_EQ(a.size(), 4u);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a.at(i).json, b.at(i).json);
  EXPECT_EQ(a.at(0).records, 7u);
  EXPECT_EQ(a.at(0).data_bytes, 700u);

  simdjson::ondemand::parser parser;
  simdjson::padded_string json(a.at(0).json);
  auto doc = parser.iterate(json);
  std::string_view stream;
  ASSERT_FALSE(doc["StreamName"].get_string().get(stream));
  EXPECT_EQ(stream, "bench");
  size_t n = 0;
  for (auto rec : doc["Records"].get_array()) {
    std::string_view data, key;
    ASSERT_FALSE(rec["Data"].get_string().get(data));
    ASSERT_FALSE(rec["PartitionKey"].get_string().get(key));
    EXPECT_EQ(Base64DecodedSize(data), 100u);
    EXPECT_EQ(key.size(), 16u);
    ++n;
  }
  EXPECT_EQ(n, 7u);
}

TEST(PayloadTest, Base64AndSequenceNumbers) {
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
  EXPECT_EQ(Base64DecodedSize("aGVsbG8="), 5u);
  EXPECT_EQ(Base64DecodedSize("aGVsbG8"), 5u);
  EXPECT_EQ(Base64DecodedSize(""), 0u);
  EXPECT_LT(CompareSequenceNumbers("9", "10"), 0);
  EXPECT_GT(CompareSequenceNumbers("49590338271490256608559692538361571095921575989136588898",
                                   "49590338271490256608559692538361571095921575989136588897"), 0);
  EXPECT_EQ(CompareSequenceNumbers("007", "7"), 0);
  EXPECT_EQ(CleanErrorType("com.amazonaws.kinesis.v20131202#ResourceNotFoundException"),
            "ResourceNotFoundException");
  EXPECT_EQ(CleanErrorType("ResourceNotFoundException:http://internal.amazon.com/"),
            "ResourceNotFoundException");
}

TEST(PayloadTest, ParsesGetRecordsAnswer) {
  std::string json =
      R"({"Records":[{"Data":"aGVsbG8=","PartitionKey":"k","SequenceNumber":"12"},)"
      R"({"Data":"AAE=","PartitionKey":"k","SequenceNumber":"15"}],)"
      R"("NextShardIterator":"it-2","MillisBehindLatest":0})";
  Buffer buf;
  buf.Append(json.data(), json.size());
  ResponseParser parser;
  GetRecordsResult r;
  ASSERT_TRUE(parser.GetRecords(buf, "12", r));
  EXPECT_EQ(r.records, 2u);
  EXPECT_EQ(r.data_bytes, 7u);
  EXPECT_EQ(r.next_iterator, "it-2");
  EXPECT_EQ(r.millis_behind, 0);
  EXPECT_TRUE(r.found);
  EXPECT_TRUE(r.passed);

  std::string closed = R"({"Records":[],"NextShardIterator":null,"ChildShards":[]})";
  buf.clear();
  buf.Append(closed.data(), closed.size());
  ASSERT_TRUE(parser.GetRecords(buf, {}, r));
  EXPECT_EQ(r.records, 0u);
  EXPECT_TRUE(r.next_iterator.empty());
}

TEST(PayloadTest, ParsesPutRecordsFailures) {
  std::string json =
      R"({"FailedRecordCount":2,"Records":[{"SequenceNumber":"1","ShardId":"shardId-000000000000"},)"
      R"({"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"x"},)"
      R"({"ErrorCode":"InternalFailure","ErrorMessage":"y"}]})";
  Buffer buf;
  buf.Append(json.data(), json.size());
  ResponseParser parser;
  PutRecordsResult r;
  ASSERT_TRUE(parser.PutRecords(buf, r));
  EXPECT_EQ(r.records, 3u);
  EXPECT_EQ(r.failed, 2u);
  EXPECT_EQ(r.throttled, 1u);
  EXPECT_EQ(r.internal, 1u);
}

}  // namespace
}  // namespace shoal::loadgen
