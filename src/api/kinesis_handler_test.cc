#include "api/kinesis_handler.h"

#include <gtest/gtest.h>

#include "api/handler_test_util.h"

#include "api/codec/reader.h"

namespace shoal::api {
namespace {

class KinesisHandlerTest : public testing::HandlerFixture {
 protected:
  void SetUp() override {
    options_.delete_delay_ms = 500;  // the service's default
    OpenHandler();
  }

  static std::string HeaderOf(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return "";
  }

  static std::string TypeOf(const HttpResponse& r) {
    auto body = r.body.empty() ? Result<Value, CodecErrc>(Value::Object())
                : HeaderOf(r, "content-type") == "application/x-amz-cbor-1.1" ? ReadCbor(r.body)
                                                                              : ReadJson(r.body);
    if (!body.ok()) return "<unparsable>";
    const Value* t = body->Find("__type");
    return t ? t->as_string() : "";
  }
};

TEST_F(KinesisHandlerTest, CreateThenDescribe) {
  auto r = Call(Request("CreateStream", R"({"StreamName":"s1","ShardCount":2})"));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(HeaderOf(r, "content-type"), "application/x-amz-json-1.1");
  EXPECT_EQ(HeaderOf(r, "x-amzn-requestid").size(), 36u);
  EXPECT_FALSE(HeaderOf(r, "x-amz-id-2").empty());
  EXPECT_NE(HeaderOf(r, "date").find("GMT"), std::string::npos);
  r = Call(Request("DescribeStream", R"({"StreamName":"s1"})"));
  ASSERT_EQ(r.status, 200);
  auto body = ReadJson(r.body);
  ASSERT_TRUE(body.ok());
  const Value* desc = body->Find("StreamDescription");
  ASSERT_NE(desc, nullptr);
  EXPECT_EQ(desc->Find("Shards")->items().size(), 2u);
  EXPECT_EQ(desc->Find("StreamStatus")->as_string(), "ACTIVE");
  EXPECT_TRUE(desc->Find("StreamCreationTimestamp")->is_number());
}

TEST_F(KinesisHandlerTest, ErrorsCarryTypeInBodyAndHeader) {
  auto r = Call(Request("DescribeStream", R"({"StreamName":"nope"})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(TypeOf(r), "ResourceNotFoundException");
  EXPECT_EQ(HeaderOf(r, "x-amzn-errortype"), "ResourceNotFoundException");
  EXPECT_NE(r.body.find("Stream nope under account 000000000000 not found."), std::string::npos);
}

TEST_F(KinesisHandlerTest, FrontendChecks) {
  auto req = Request("ListStreams", "{}");
  req.headers.erase(req.headers.begin() + 3);  // no Authorization
  EXPECT_EQ(TypeOf(Call(req)), "MissingAuthenticationTokenException");
  req = Request("ListStreams", "{}");
  req.headers[3].second = "AWS4-HMAC-SHA256 SignedHeaders=host";
  EXPECT_EQ(TypeOf(Call(req)), "IncompleteSignatureException");
  auto r = Call(Request("NoSuchOperation", "{}"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(TypeOf(r), "UnknownOperationException");
  req = Request("ListStreams", "{}");
  req.headers[1].second = "Kinesis_20131202";
  EXPECT_EQ(TypeOf(Call(req)), "UnknownOperationException");
  r = Call(Request("ListStreams", "{not json"));
  EXPECT_EQ(TypeOf(r), "SerializationException");
  r = Call(Request("ListStreams", "{}", "text/plain"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(TypeOf(r), "UnknownOperationException");
  req = Request("ListStreams", "");
  req.body_too_large = true;
  r = Call(req);
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(r.close_connection);
  r = Call(Request("ListStreams", "{}", "application/x-amz-json-1.1; charset=utf-8"));
  EXPECT_EQ(r.status, 200);
}

TEST_F(KinesisHandlerTest, CborInCborOut) {
  // {"StreamName":"s1","ShardCount":1} as an indefinite-length map, as Jackson writes it.
  std::string body = "\xbf\x6aStreamName\x62s1\x6aShardCount\x01\xff";
  auto r = Call(Request("CreateStream", body, "application/x-amz-cbor-1.1"));
  ASSERT_EQ(r.status, 200);
  r = Call(Request("DescribeStreamSummary", "\xbf\x6aStreamName\x62s1\xff",
                   "application/x-amz-cbor-1.1"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(HeaderOf(r, "content-type"), "application/x-amz-cbor-1.1");
  auto v = ReadCbor(r.body);
  ASSERT_TRUE(v.ok());
  const Value* ts = v->Find("StreamDescriptionSummary")->Find("StreamCreationTimestamp");
  ASSERT_NE(ts, nullptr);
  EXPECT_EQ(ts->kind(), Value::Kind::kInt);
  EXPECT_TRUE(ts->tagged_epoch());
  EXPECT_EQ(ts->as_int(), clock_.NowMs());
  r = Call(Request("DescribeStreamSummary", "\xbf\x6aStreamName\x62zz\xff",
                   "application/x-amz-cbor-1.1"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(TypeOf(r), "ResourceNotFoundException");
  r = Call(Request("DescribeStreamSummary", "\xbf\x6a", "application/x-amz-cbor-1.1"));
  EXPECT_EQ(TypeOf(r), "SerializationException");
}

TEST_F(KinesisHandlerTest, PutAndGetRecordsJson) {
  ASSERT_EQ(Call(Request("CreateStream", R"({"StreamName":"s","ShardCount":1})")).status, 200);
  auto r = Call(Request("PutRecord", R"({"StreamName":"s","Data":"AAFoZWxsb/8=","PartitionKey":"pk"})"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto put = ReadJson(r.body);
  EXPECT_EQ(put->Find("ShardId")->as_string(), "shardId-000000000000");
  r = Call(Request("GetShardIterator",
                   R"({"StreamName":"s","ShardId":"shardId-000000000000","ShardIteratorType":"TRIM_HORIZON"})"));
  ASSERT_EQ(r.status, 200) << r.body;
  std::string it = ReadJson(r.body)->Find("ShardIterator")->as_string();
  r = Call(Request("GetRecords", "{\"ShardIterator\":\"" + it + "\"}"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto got = ReadJson(r.body);
  ASSERT_EQ(got->Find("Records")->items().size(), 1u);
  const Value& rec = got->Find("Records")->items()[0];
  EXPECT_EQ(rec.Find("Data")->as_string(), "AAFoZWxsb/8=");
  EXPECT_EQ(rec.Find("PartitionKey")->as_string(), "pk");
  EXPECT_EQ(rec.Find("SequenceNumber")->as_string(), put->Find("SequenceNumber")->as_string());
  EXPECT_TRUE(got->Find("NextShardIterator") != nullptr);
  EXPECT_EQ(got->Find("MillisBehindLatest")->as_int(), 0);
}

TEST_F(KinesisHandlerTest, PutRecordsValidationPaths) {
  ASSERT_EQ(Call(Request("CreateStream", R"({"StreamName":"s","ShardCount":1})")).status, 200);
  auto r = Call(Request("PutRecords", R"({"StreamName":"s","Records":[{"Data":"","PartitionKey":""}]})"));
  EXPECT_EQ(TypeOf(r), "ValidationException");
  EXPECT_NE(r.body.find("at 'records.1.member.partitionKey'"), std::string::npos) << r.body;
  r = Call(Request("PutRecords", R"({"StreamName":"s","Records":[]})"));
  EXPECT_EQ(TypeOf(r), "ValidationException");
  r = Call(Request("PutRecord", R"({"StreamName":"s","Data":"!!!!","PartitionKey":"k"})"));
  EXPECT_EQ(TypeOf(r), "SerializationException");
  EXPECT_NE(r.body.find("can not be converted to a Blob"), std::string::npos) << r.body;
}

TEST_F(KinesisHandlerTest, ValidationExceptionText) {
  auto r = Call(Request("CreateStream", R"({"StreamName":"bad name","ShardCount":1})"));
  EXPECT_EQ(TypeOf(r), "ValidationException");
  EXPECT_NE(r.body.find("1 validation error detected: Value 'bad name' at 'streamName' failed "
                        "to satisfy constraint: Member must satisfy regular expression pattern: "
                        "[a-zA-Z0-9_.-]+"),
            std::string::npos);
}

}  // namespace
}  // namespace shoal::api
