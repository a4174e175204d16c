#include "api/put_records_fast.h"

#include <gtest/gtest.h>

#include <random>

#include "api/bind.h"
#include "api/codec/reader.h"
#include "api/shape.h"
#include "api/validate.h"

namespace shoal::api {
namespace {

// What the general path makes of a body: nullopt when it rejects it.
std::optional<std::vector<std::tuple<std::string, std::string, std::string>>> General(
    const std::string& body, service::StreamRef* ref = nullptr) {
  auto v = ReadJson(body);
  if (!v.ok() || Validate(*v, *InputShape("PutRecords"))) return std::nullopt;
  std::vector<std::tuple<std::string, std::string, std::string>> out;
  for (const auto& r : v->Find("Records")->items()) {
    out.emplace_back(r.Find("Data")->as_string(), r.Find("PartitionKey")->as_string(),
                     OptString(r, "ExplicitHashKey").value_or("-"));
  }
  if (ref) *ref = StreamRefOf(*v);
  return out;
}

std::optional<std::vector<std::tuple<std::string, std::string, std::string>>> Fast(
    const std::string& body, service::StreamRef* ref = nullptr) {
  auto f = TryDecodePutRecordsJson(body);
  if (!f) return std::nullopt;
  std::vector<std::tuple<std::string, std::string, std::string>> out;
  for (const auto& e : f->request.entries) {
    out.emplace_back(std::string(e.data), std::string(e.partition_key),
                     e.explicit_hash_key ? std::string(*e.explicit_hash_key) : "-");
  }
  if (ref) *ref = f->request.stream;
  return out;
}

TEST(PutRecordsFastTest, AgreesWithTheGeneralPathOnValidBodies) {
  for (const std::string& body : std::vector<std::string>{
           R"({"StreamName":"s","Records":[{"Data":"AAFoZWxsb/8=","PartitionKey":"pk"}]})",
           R"({"Records":[{"Data":"","PartitionKey":"ü","ExplicitHashKey":"0"},{"Data":"QQ==","PartitionKey":"b"}],"StreamARN":"arn:aws:kinesis:us-east-1:123456789012:stream/s"})",
           R"({"StreamName":"s","Extra":{"x":[1]},"Records":[{"Data":"QUJD","PartitionKey":"k","Other":5}]})",
           R"({"StreamName":"s","StreamARN":null,"Records":[{"Data":"QUJD","PartitionKey":"k","ExplicitHashKey":null}]})",
       }) {
    service::StreamRef a, b;
    auto g = General(body, &a);
    auto f = Fast(body, &b);
    ASSERT_TRUE(g.has_value()) << body;
    ASSERT_TRUE(f.has_value()) << body;
    EXPECT_EQ(*f, *g) << body;
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.arn, b.arn);
  }
}

TEST(PutRecordsFastTest, LeavesEveryErrorToTheGeneralPath) {
  std::string many = R"({"StreamName":"s","Records":[)";
  for (int i = 0; i < 501; ++i) many += std::string(i ? "," : "") + R"({"Data":"","PartitionKey":"k"})";
  many += "]}";
  for (const std::string& body : std::vector<std::string>{
           std::string(R"({"StreamName":"s","Records":[]})"),
           many,
           std::string(R"({"StreamName":"s","Records":[{"Data":"","PartitionKey":""}]})"),
           R"({"StreamName":"s","Records":[{"Data":"","PartitionKey":")" + std::string(257, 'k') + R"("}]})",
           std::string(R"({"StreamName":"s","Records":[{"Data":"!!!!","PartitionKey":"k"}]})"),
           std::string(R"({"StreamName":"s","Records":[{"Data":5,"PartitionKey":"k"}]})"),
           std::string(R"({"StreamName":"s","Records":[{"PartitionKey":"k"}]})"),
           std::string(R"({"StreamName":"s","Records":{"Data":""}})"),
           std::string(R"({"StreamName":"bad name","Records":[{"Data":"","PartitionKey":"k"}]})"),
           std::string(R"({"StreamName":"s","Records":[{"Data":"","PartitionKey":"k","ExplicitHashKey":"01"}]})"),
           std::string(R"({"StreamARN":"arn:nope","Records":[{"Data":"","PartitionKey":"k"}]})"),
           std::string(R"([1,2])"),
           std::string(R"({"StreamName":"s","Records":[{"Data":"","PartitionKey":"k"}])"),
       }) {
    EXPECT_FALSE(Fast(body).has_value()) << body;
    EXPECT_FALSE(General(body).has_value()) << body;
  }
}

// Random corruptions of valid bodies: whenever the fast path accepts one, the general path
// accepts it too and reads the same entries.
TEST(PutRecordsFastTest, NeverAcceptsWhatTheGeneralPathRejects) {
  const std::string base =
      R"({"StreamName":"s","Records":[{"Data":"AAFoZWxsb/8=","PartitionKey":"pk","ExplicitHashKey":"12"},{"Data":"QQ==","PartitionKey":"x"}]})";
  const std::string alphabet = "\"{}[],:0123456789aZ=+/ \\nullExplicitHashKeyData";
  std::mt19937 rng(7);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string body = base;
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % body.size();
      switch (rng() % 3) {
        case 0: body[pos] = alphabet[rng() % alphabet.size()]; break;
        case 1: body.erase(pos, 1); break;
        default: body.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
      }
    }
    auto f = Fast(body);
    if (!f) continue;
    ++accepted;
    auto g = General(body);
    ASSERT_TRUE(g.has_value()) << body;
    EXPECT_EQ(*f, *g) << body;
  }
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace shoal::api
