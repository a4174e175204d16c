#include "api/validate.h"

#include <gtest/gtest.h>

#include "api/codec/reader.h"

namespace shoal::api {
namespace {

std::optional<WireError> Check(const char* op, const std::string& json) {
  auto v = ReadJson(json);
  EXPECT_TRUE(v.ok()) << json;
  const Shape* shape = InputShape(op);
  EXPECT_NE(shape, nullptr) << op;
  return Validate(*v, *shape);
}

TEST(ValidateTest, AcceptsValidBodies) {
  EXPECT_FALSE(Check("CreateStream", R"({"StreamName":"s-1_.x","ShardCount":3})"));
  EXPECT_FALSE(Check("ListStreams", "{}"));
  EXPECT_FALSE(Check("ListStreams", ""));
  EXPECT_FALSE(Check("CreateStream", R"({"StreamName":"s","Unknown":[1,{"a":2}]})"));
  EXPECT_FALSE(Check("DescribeStream", R"({"StreamARN":"arn:aws:kinesis:us-east-1:123456789012:stream/s"})"));
  EXPECT_FALSE(Check("ListShards", R"({"StreamName":"s","ShardFilter":{"Type":"AT_TIMESTAMP","Timestamp":1700000000.5}})"));
}

TEST(ValidateTest, MissingRequiredMember) {
  auto e = Check("CreateStream", "{}");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, "ValidationException");
  EXPECT_EQ(e->message,
            "1 validation error detected: Value null at 'streamName' failed to satisfy "
            "constraint: Member must not be null");
}

TEST(ValidateTest, PatternLengthAndRange) {
  auto e = Check("CreateStream", R"({"StreamName":"a b","ShardCount":0})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message,
            "2 validation errors detected: Value 'a b' at 'streamName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; "
            "Value '0' at 'shardCount' failed to satisfy constraint: Member must have value "
            "greater than or equal to 1");
  e = Check("CreateStream", "{\"StreamName\":\"" + std::string(129, 'x') + "\"}");
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("Member must have length less than or equal to 128"),
            std::string::npos);
  e = Check("DescribeStream", R"({"StreamName":"s","Limit":10001})");
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("Value '10001' at 'limit' failed to satisfy constraint: Member must "
                            "have value less than or equal to 10000"),
            std::string::npos);
}

TEST(ValidateTest, EmptyNameBreaksTwoConstraints) {
  auto e = Check("DescribeStreamSummary", R"({"StreamName":""})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message.rfind("2 validation errors detected: ", 0), 0u) << e->message;
}

TEST(ValidateTest, NestedPathsAndEnums) {
  auto e = Check("ListShards", R"({"StreamName":"s","ShardFilter":{"Type":"NOPE"}})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message,
            "1 validation error detected: Value 'NOPE' at 'shardFilter.type' failed to satisfy "
            "constraint: Member must satisfy enum value set: [AFTER_SHARD_ID, AT_TRIM_HORIZON, "
            "FROM_TRIM_HORIZON, AT_LATEST, AT_TIMESTAMP, FROM_TIMESTAMP]");
  e = Check("RemoveTagsFromStream", R"({"StreamName":"s","TagKeys":["ok",""]})");
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("at 'tagKeys.2.member' failed to satisfy constraint: Member must "
                            "have length greater than or equal to 1"),
            std::string::npos)
      << e->message;
  e = Check("RemoveTagsFromStream", R"({"StreamName":"s","TagKeys":[]})");
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("Value '[]' at 'tagKeys'"), std::string::npos) << e->message;
}

TEST(ValidateTest, ArnPatterns) {
  auto e = Check("DescribeStreamSummary", R"({"StreamARN":"arn:aws:kinesis:us-east-1:12:stream/s"})");
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+"), std::string::npos);
  EXPECT_FALSE(Check("ListTagsForResource",
                     R"({"ResourceARN":"arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1"})"));
}

TEST(ValidateTest, WrongTypesAreSerializationErrors) {
  auto e = Check("CreateStream", R"({"StreamName":1})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, "SerializationException");
  EXPECT_EQ(e->message, "NUMBER_VALUE can not be converted to a String");
  e = Check("CreateStream", R"({"StreamName":true})");
  EXPECT_EQ(e->message, "TRUE_VALUE can not be converted to a String");
  e = Check("CreateStream", R"({"StreamName":"s","ShardCount":"3"})");
  EXPECT_EQ(e->type, "SerializationException");
  e = Check("CreateStream", R"({"StreamName":"s","ShardCount":1.5})");
  EXPECT_EQ(e->type, "SerializationException");
  e = Check("CreateStream", R"({"StreamName":["s"]})");
  EXPECT_EQ(e->message, "Start of list found where not expected");
  e = Check("CreateStream", R"({"StreamName":{"a":1}})");
  EXPECT_EQ(e->message, "Start of structure or map found where not expected.");
  e = Check("ListShards", R"({"StreamName":"s","StreamCreationTimestamp":"2024-01-01"})");
  EXPECT_EQ(e->type, "SerializationException");
  e = Check("CreateStream", R"([])");
  EXPECT_EQ(e->type, "SerializationException");
}

TEST(ValidateTest, NullMembersAreAbsent) {
  EXPECT_FALSE(Check("CreateStream", R"({"StreamName":"s","ShardCount":null})"));
  auto e = Check("CreateStream", R"({"StreamName":null})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, "ValidationException");
}

TEST(ValidateTest, ListsAtMostTenViolations) {
  std::string keys;
  for (int i = 0; i < 12; ++i) keys += std::string(i ? "," : "") + "\"\"";
  auto e = Check("RemoveTagsFromStream", "{\"StreamName\":\"s\",\"TagKeys\":[" + keys + "]}");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message.rfind("12 validation errors detected: ", 0), 0u);
  size_t items = 0;
  for (size_t p = 0; (p = e->message.find("Value ", p)) != std::string::npos; ++p) ++items;
  EXPECT_EQ(items, 10u);
}

}  // namespace
}  // namespace shoal::api
