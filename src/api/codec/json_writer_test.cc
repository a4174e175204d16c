#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "api/codec/codec_test_util.h"
#include "api/codec/reader.h"
#include "api/codec/writer.h"

namespace shoal::api {
namespace {

std::string TimestampJson(int64_t ms) {
  auto w = NewJsonWriter();
  w->TimestampMs(ms);
  return w->Finish();
}

std::string StringJson(std::string_view s) {
  auto w = NewJsonWriter();
  w->String(s);
  return w->Finish();
}

TEST(JsonWriterTest, ObjectsArraysAndScalars) {
  auto w = NewJsonWriter();
  w->BeginObject();
  w->Key("a");
  w->Int(1);
  w->Key("b");
  w->String("x");
  w->Key("c");
  w->BeginArray();
  w->Int(1);
  w->Int(-2);
  w->BeginObject();
  w->EndObject();
  w->BeginArray();
  w->EndArray();
  w->EndArray();
  w->Key("d");
  w->BeginObject();
  w->Key("e");
  w->Bool(true);
  w->Key("f");
  w->Bool(false);
  w->EndObject();
  w->Key("g");
  w->Null();
  w->Key("h");
  w->Blob(std::string("\x00\x01hello\xff", 8));
  w->EndObject();
  EXPECT_EQ(w->Finish(),
            R"({"a":1,"b":"x","c":[1,-2,{},[]],"d":{"e":true,"f":false},"g":null,)"
            R"("h":"AAFoZWxsb/8="})");
}

TEST(JsonWriterTest, ErrorBody) {
  auto w = NewJsonWriter();
  w->BeginObject();
  w->Key("__type");
  w->String("ResourceNotFoundException");
  w->Key("message");
  w->String("Stream foo under account 123456789012 not found.");
  w->EndObject();
  EXPECT_EQ(w->Finish(),
            R"({"__type":"ResourceNotFoundException",)"
            R"("message":"Stream foo under account 123456789012 not found."})");
}

TEST(JsonWriterTest, EmptyContainersAtTopLevel) {
  auto w = NewJsonWriter();
  w->BeginObject();
  w->EndObject();
  EXPECT_EQ(w->Finish(), "{}");
  auto a = NewJsonWriter();
  a->BeginArray();
  a->EndArray();
  EXPECT_EQ(a->Finish(), "[]");
}

TEST(JsonWriterTest, StringEscaping) {
  EXPECT_EQ(StringJson(""), R"("")");
  EXPECT_EQ(StringJson("plain text/with slash"), R"("plain text/with slash")");
  EXPECT_EQ(StringJson("q\"b\\"), R"("q\"b\\")");
  EXPECT_EQ(StringJson("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(StringJson(std::string("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
  EXPECT_EQ(StringJson("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
            "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");  // UTF-8 passes through
  // Every control character, checked against the reader.
  std::string all;
  for (int c = 0; c < 0x20; ++c) all.push_back(static_cast<char>(c));
  all += "\"\\/ end";
  const std::string json = StringJson(all);
  for (char c : json) EXPECT_GE(static_cast<unsigned char>(c), 0x20);
  auto r = ReadJson(json);
  ASSERT_TRUE(r.ok()) << json;
  EXPECT_EQ(r->as_string(), all);
  EXPECT_EQ(StringJson("\x0b"), R"("\u000b")");
}

TEST(JsonWriterTest, KeysAreEscaped) {
  auto w = NewJsonWriter();
  w->BeginObject();
  w->Key("a\"b");
  w->Int(1);
  w->EndObject();
  EXPECT_EQ(w->Finish(), R"({"a\"b":1})");
}

TEST(JsonWriterTest, TimestampsArePlainDecimalSeconds) {
  EXPECT_EQ(TimestampJson(1700000000123), "1700000000.123");
  EXPECT_EQ(TimestampJson(1700000000000), "1700000000");
  EXPECT_EQ(TimestampJson(1700000000500), "1700000000.5");
  EXPECT_EQ(TimestampJson(1700000000120), "1700000000.12");
  EXPECT_EQ(TimestampJson(1700000000010), "1700000000.01");
  EXPECT_EQ(TimestampJson(1700000000001), "1700000000.001");
  EXPECT_EQ(TimestampJson(1704164645678), "1704164645.678");
  EXPECT_EQ(TimestampJson(0), "0");
  EXPECT_EQ(TimestampJson(999), "0.999");
  EXPECT_EQ(TimestampJson(-1), "-0.001");
  EXPECT_EQ(TimestampJson(-1000), "-1");
  EXPECT_EQ(TimestampJson(-1500), "-1.5");
  EXPECT_EQ(TimestampJson(INT64_MAX), "9223372036854775.807");
  EXPECT_EQ(TimestampJson(INT64_MIN), "-9223372036854775.808");
  // The numbers read back as the intended seconds.
  auto r = ReadJson(TimestampJson(1700000000123));
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->as_double(), 1700000000.123);
}

TEST(JsonWriterTest, Integers) {
  auto w = NewJsonWriter();
  w->BeginArray();
  w->Int(0);
  w->Int(INT64_MAX);
  w->Int(INT64_MIN);
  w->EndArray();
  EXPECT_EQ(w->Finish(), "[0,9223372036854775807,-9223372036854775808]");
}

TEST(JsonWriterTest, Doubles) {
  auto w = NewJsonWriter();
  w->BeginArray();
  w->Double(1.5);
  w->Double(1.0);
  w->Double(-0.25);
  w->Double(1e300);
  w->Double(std::numeric_limits<double>::quiet_NaN());
  w->Double(std::numeric_limits<double>::infinity());
  w->EndArray();
  EXPECT_EQ(w->Finish(), "[1.5,1.0,-0.25,1e+300,null,null]");
}

TEST(JsonWriterTest, ReserveDoesNotChangeOutput) {
  auto w = NewJsonWriter();
  w->Reserve(1 << 16);
  w->BeginObject();
  w->Key("k");
  w->String("v");
  w->EndObject();
  EXPECT_EQ(w->Finish(), R"({"k":"v"})");
}

TEST(JsonWriterTest, GetRecordsShape) {
  auto w = NewJsonWriter();
  w->BeginObject();
  w->Key("Records");
  w->BeginArray();
  for (int i = 0; i < 2; ++i) {
    w->BeginObject();
    w->Key("SequenceNumber");
    w->String("4959033827149025660855969253836157109592157598913658880" + std::to_string(i));
    w->Key("ApproximateArrivalTimestamp");
    w->TimestampMs(1700000000123);
    w->Key("Data");
    w->Blob("hello");
    w->Key("PartitionKey");
    w->String("pk");
    w->EndObject();
  }
  w->EndArray();
  w->Key("NextShardIterator");
  w->String("AAAAAAAAAAI=");
  w->Key("MillisBehindLatest");
  w->Int(0);
  w->EndObject();
  const std::string rec = R"({"SequenceNumber":"4959033827149025660855969253836157109592157598913658880%",)"
                          R"("ApproximateArrivalTimestamp":1700000000.123,"Data":"aGVsbG8=",)"
                          R"("PartitionKey":"pk"})";
  std::string r0 = rec, r1 = rec;
  r0.replace(r0.find('%'), 1, "0");
  r1.replace(r1.find('%'), 1, "1");
  EXPECT_EQ(w->Finish(), R"({"Records":[)" + r0 + "," + r1 +
                             R"(],"NextShardIterator":"AAAAAAAAAAI=","MillisBehindLatest":0})");
}

TEST(JsonWriterTest, RandomTreesRoundTripThroughReader) {
  testing::RandomValues gen(1234, Format::kJson);
  for (int i = 0; i < 2000; ++i) {
    const Value v = gen.Next();
    auto w = NewJsonWriter();
    WriteValue(v, *w);
    const std::string json = w->Finish();
    auto r = ReadJson(json);
    ASSERT_TRUE(r.ok()) << json << ": " << r.message();
    ASSERT_TRUE(testing::ValueEq(*r, v)) << json << "\nvs\n" << testing::Dump(*r);
  }
}

TEST(JsonWriterTest, WriteValueConvertsBytesAndTaggedEpochs) {
  Value v = Value::Object();
  v.mutable_members().emplace_back("Data", Value::Bytes("hello"));
  Value ts = Value::Int(1700000000123);
  ts.set_tagged_epoch(true);
  v.mutable_members().emplace_back("Timestamp", ts);
  v.mutable_members().emplace_back("Plain", Value::Int(5));
  auto w = NewJsonWriter();
  WriteValue(v, *w);
  EXPECT_EQ(w->Finish(), R"({"Data":"aGVsbG8=","Timestamp":1700000000.123,"Plain":5})");
}

}  // namespace
}  // namespace shoal::api
