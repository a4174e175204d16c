#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "api/codec/codec_test_util.h"
#include "api/codec/reader.h"

namespace shoal::api {
namespace {

Value ParseOk(std::string_view json) {
  auto r = ReadJson(json);
  EXPECT_TRUE(r.ok()) << json << ": " << (r.ok() ? "" : r.message());
  return r.ok() ? std::move(r).value() : Value();
}

void ExpectMalformed(std::string_view json) {
  auto r = ReadJson(json);
  ASSERT_FALSE(r.ok()) << json;
  EXPECT_EQ(r.code(), CodecErrc::kMalformed);
  EXPECT_EQ(r.message().rfind("Malformed JSON", 0), 0u) << r.message();
}

std::string Nested(int depth) {
  return std::string(static_cast<size_t>(depth), '[') + std::string(static_cast<size_t>(depth), ']');
}

TEST(JsonReaderTest, EmptyBodyIsEmptyObject) {
  for (std::string_view body : {"", " ", "\r\n\t "}) {
    Value v = ParseOk(body);
    EXPECT_EQ(v.kind(), Value::Kind::kObject);
    EXPECT_TRUE(v.members().empty());
  }
}

TEST(JsonReaderTest, PutRecordRequest) {
  Value v = ParseOk(R"({"StreamName":"s1","Data":"AAFoZWxsb/8=","PartitionKey":"pk"})");
  ASSERT_EQ(v.kind(), Value::Kind::kObject);
  ASSERT_EQ(v.members().size(), 3u);
  EXPECT_EQ(v.members()[0].first, "StreamName");  // order is kept
  EXPECT_EQ(v.Find("StreamName")->as_string(), "s1");
  EXPECT_EQ(v.Find("Data")->kind(), Value::Kind::kString);  // JSON blobs stay base64 text
  EXPECT_EQ(v.Find("Data")->as_string(), "AAFoZWxsb/8=");
  EXPECT_EQ(v.Find("Missing"), nullptr);
}

TEST(JsonReaderTest, NestedContainers) {
  Value v = ParseOk(R"( {"a":{"b":[1,[],{"c":null}]},"d":true,"e":false,"f":{}} )");
  const Value* b = v.Find("a")->Find("b");
  ASSERT_EQ(b->kind(), Value::Kind::kArray);
  ASSERT_EQ(b->items().size(), 3u);
  EXPECT_EQ(b->items()[0].as_int(), 1);
  EXPECT_TRUE(b->items()[1].items().empty());
  EXPECT_TRUE(b->items()[2].Find("c")->is_null());
  EXPECT_TRUE(v.Find("d")->as_bool());
  EXPECT_FALSE(v.Find("e")->as_bool());
  EXPECT_EQ(v.Find("f")->kind(), Value::Kind::kObject);
  EXPECT_FALSE(v.tagged_epoch());
}

TEST(JsonReaderTest, Numbers) {
  Value v = ParseOk(
      R"([0, -1, 9223372036854775807, -9223372036854775808, 9223372036854775808,
          18446744073709551615, 1.5, 1e3, 1.0, 1704164645.678, -0.25, 1704164645])");
  const auto& it = v.items();
  EXPECT_EQ(it[0].kind(), Value::Kind::kInt);
  EXPECT_EQ(it[1].as_int(), -1);
  EXPECT_EQ(it[2].as_int(), INT64_MAX);
  EXPECT_EQ(it[3].as_int(), INT64_MIN);
  EXPECT_EQ(it[4].kind(), Value::Kind::kDouble);
  EXPECT_EQ(it[4].as_double(), 9223372036854775808.0);
  EXPECT_EQ(it[5].kind(), Value::Kind::kDouble);
  EXPECT_EQ(it[5].as_double(), 18446744073709551615.0);
  EXPECT_EQ(it[6].as_double(), 1.5);
  EXPECT_EQ(it[7].kind(), Value::Kind::kDouble);
  EXPECT_EQ(it[7].as_double(), 1000);
  EXPECT_EQ(it[8].kind(), Value::Kind::kDouble);
  EXPECT_EQ(it[9].as_double(), 1704164645.678);
  EXPECT_EQ(it[10].as_double(), -0.25);
  EXPECT_EQ(it[11].kind(), Value::Kind::kInt);  // boto3's integer seconds
  EXPECT_TRUE(it[11].is_number());
}

TEST(JsonReaderTest, IntegerBeyondUint64) {
  // simdjson 3.0.1 rejects integers that do not fit 64 bits (documented in reader.h).
  ExpectMalformed("[100000000000000000000]");
  ExpectMalformed("[-9223372036854775809]");
}

TEST(JsonReaderTest, StringEscapesAndUnicode) {
  Value v = ParseOk(R"(["a\"b\\c\/d\b\f\n\r\t", "\u0001\u001f\u00e9\u20ac\ud83d\ude00", "é€😀", ""])");
  EXPECT_EQ(v.items()[0].as_string(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(v.items()[1].as_string(), "\x01\x1f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  EXPECT_EQ(v.items()[2].as_string(), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  EXPECT_EQ(v.items()[3].as_string(), "");
}

TEST(JsonReaderTest, TopLevelNonObjectsParse) {
  EXPECT_EQ(ParseOk("[1]").kind(), Value::Kind::kArray);
  EXPECT_EQ(ParseOk("\"s\"").as_string(), "s");
  EXPECT_EQ(ParseOk("5").as_int(), 5);
  EXPECT_TRUE(ParseOk("null").is_null());
}

TEST(JsonReaderTest, DuplicateKeysKeepLastValueAtFirstPosition) {
  Value v = ParseOk(R"({"a":1,"b":2,"a":3,"c":4,"a":5})");
  ASSERT_EQ(v.members().size(), 3u);
  EXPECT_EQ(v.members()[0].first, "a");
  EXPECT_EQ(v.members()[0].second.as_int(), 5);
  EXPECT_EQ(v.members()[1].first, "b");
  EXPECT_EQ(v.members()[2].first, "c");

  // Large objects take the hashed path.
  std::string big = "{";
  for (int i = 0; i < 100; ++i) big += "\"k" + std::to_string(i % 40) + "\":" + std::to_string(i) + ",";
  big.back() = '}';
  Value w = ParseOk(big);
  ASSERT_EQ(w.members().size(), 40u);
  for (int k = 0; k < 40; ++k) {
    EXPECT_EQ(w.members()[static_cast<size_t>(k)].first, "k" + std::to_string(k));
    EXPECT_EQ(w.members()[static_cast<size_t>(k)].second.as_int(), k < 20 ? k + 80 : k + 40);
  }
}

TEST(JsonReaderTest, MalformedInputs) {
  for (std::string_view bad :
       {"{", "}", "{\"a\":1", "{\"a\":1}x", "{\"a\":1}{}", "{'a':1}", "{\"a\":01}", "{\"a\":}",
        "[1,]", "{\"a\" 1}", "{a:1}", "[\"\xff\"]", "[\"a\x01\"]", "NaN", "[Infinity]",
        "[\"\\x\"]", "[\"\\u12\"]", "tru", "[1 2]", "{\"a\":1,}", "\"unterminated",
        "[\"\\ud800\"]"}) {
    ExpectMalformed(bad);
  }
}

TEST(JsonReaderTest, EveryTruncationIsMalformed) {
  const std::string doc =
      R"({"Records":[{"Data":"aGVsbG8=","PartitionKey":"pk","ExplicitHashKey":"1"}],)"
      R"("StreamName":"s1","Nested":{"a":[1,2.5,true,null]}})";
  ASSERT_TRUE(ReadJson(doc).ok());
  for (size_t n = 1; n < doc.size(); ++n) {
    const std::string prefix = doc.substr(0, n);
    if (prefix.find_first_not_of(" ") == std::string::npos) continue;
    ExpectMalformed(prefix);
  }
}

TEST(JsonReaderTest, NestingLimit) {
  EXPECT_TRUE(ReadJson(Nested(kMaxNestingDepth)).ok());
  ExpectMalformed(Nested(kMaxNestingDepth + 1));
  ExpectMalformed(Nested(100000));
  std::string objects;
  for (int i = 0; i <= kMaxNestingDepth; ++i) objects += "{\"a\":";
  objects += "1" + std::string(kMaxNestingDepth + 1, '}');
  ExpectMalformed(objects);
}

TEST(JsonReaderTest, PaddedVariantParsesInPlace) {
  std::string body = R"({"StreamName":"s1","Limit":10})";
  body.reserve(body.size() + kJsonPadding);
  auto r = ReadJsonPadded(body);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Find("Limit")->as_int(), 10);
  EXPECT_FALSE(ReadJsonPadded(std::string_view(body.data(), 5)).ok());
}

TEST(JsonReaderTest, ThreadsParseIndependently) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 500; ++i) {
        const std::string doc = "{\"t\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) + "}";
        auto r = ReadJson(doc);
        if (!r.ok() || r->Find("t")->as_int() != t || r->Find("i")->as_int() != i) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace shoal::api
