#include "api/codec/dedupe_keys.h"

#include <gtest/gtest.h>

#include <string>

namespace shoal::api {
namespace {

std::vector<Value::Member> Members(const std::vector<std::pair<std::string, int>>& kv) {
  std::vector<Value::Member> m;
  for (const auto& [k, v] : kv) m.emplace_back(k, Value::Int(v));
  return m;
}

std::string Render(const std::vector<Value::Member>& m) {
  std::string s;
  for (const auto& [k, v] : m) s += k + "=" + std::to_string(v.as_int()) + " ";
  return s;
}

TEST(DedupeKeysTest, NoDuplicatesUnchanged) {
  auto m = Members({{"a", 1}, {"b", 2}, {"c", 3}});
  DedupeKeys(m);
  EXPECT_EQ(Render(m), "a=1 b=2 c=3 ");
  std::vector<Value::Member> empty;
  DedupeKeys(empty);
  EXPECT_TRUE(empty.empty());
}

TEST(DedupeKeysTest, LastValueAtFirstPosition) {
  auto m = Members({{"a", 1}, {"b", 2}, {"a", 3}, {"b", 4}, {"c", 5}, {"a", 6}});
  DedupeKeys(m);
  EXPECT_EQ(Render(m), "a=6 b=4 c=5 ");
}

TEST(DedupeKeysTest, LargeObjectsMatchSmallAlgorithm) {
  std::vector<std::pair<std::string, int>> kv;
  std::string expected;
  for (int i = 0; i < 200; ++i) kv.emplace_back("key" + std::to_string(i % 50), i);
  for (int k = 0; k < 50; ++k) expected += "key" + std::to_string(k) + "=" + std::to_string(k + 150) + " ";
  auto m = Members(kv);
  DedupeKeys(m);
  EXPECT_EQ(Render(m), expected);
}

}  // namespace
}  // namespace shoal::api
