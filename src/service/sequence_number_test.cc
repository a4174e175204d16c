#include "service/sequence_number.h"

#include <gtest/gtest.h>

#include <vector>

namespace shoal::service {
namespace {

TEST(SequenceNumberTest, DecodesTheDeveloperGuideSample) {
  auto s = SequenceNumber::Parse("49546986683135544286507457936321625675700192471156785154");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->create_secs, 1421279230u);
  EXPECT_EQ(s->counter, 469u);
  EXPECT_EQ(s->record_secs, 1421279386u);
  EXPECT_EQ(s->shard_index, 0u);
  EXPECT_EQ(s->ToString(), "49546986683135544286507457936321625675700192471156785154");
}

TEST(SequenceNumberTest, InitialShardsDifferByTwoPow144PlusSixteen) {
  // Kinesalite's production observation for consecutive initial shards.
  auto a = SequenceNumber::ShardStart(0, 1'700'000'000'000).ToString();
  auto b = SequenceNumber::ShardStart(1, 1'700'000'000'000).ToString();
  EXPECT_EQ(a.size(), 56u);
  auto pa = SequenceNumber::Parse(a), pb = SequenceNumber::Parse(b);
  ASSERT_TRUE(pa && pb);
  EXPECT_EQ(pb->shard_index, 1u);
  EXPECT_EQ(pa->counter, 0u);
}

TEST(SequenceNumberTest, RoundTripsAndOrdersByCounter) {
  SequenceNumber s{1'700'000'000, 12345, 1, 0, 1'700'000'100};
  std::string prev;
  for (uint64_t c : std::vector<uint64_t>{1, 2, 1000, uint64_t{1} << 40, SequenceNumber::kMaxCounter}) {
    s.counter = c;
    std::string text = s.ToString();
    auto back = SequenceNumber::Parse(text);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, s);
    if (!prev.empty()) {
      EXPECT_TRUE(prev.size() < text.size() || prev < text);
    }
    prev = text;
  }
}

TEST(SequenceNumberTest, EndOfShardIsAboveEveryRecord) {
  auto end = SequenceNumber::ShardEnd(3, 1'700'000'000'000, 1'700'000'500'000);
  EXPECT_EQ(end.counter, SequenceNumber::kMaxCounter);
  EXPECT_EQ(end.record_secs, 1'700'000'500u);
}

TEST(SequenceNumberTest, RejectsOtherFormats) {
  EXPECT_FALSE(SequenceNumber::Parse("").has_value());
  EXPECT_FALSE(SequenceNumber::Parse("0").has_value());
  EXPECT_FALSE(SequenceNumber::Parse("12345").has_value());
  EXPECT_FALSE(SequenceNumber::Parse("0123").has_value());
  EXPECT_FALSE(SequenceNumber::Parse("4954698668313554428650745793632162567570019247115678515x").has_value());
  EXPECT_FALSE(SequenceNumber::Parse(std::string(70, '9')).has_value());
}

}  // namespace
}  // namespace shoal::service
