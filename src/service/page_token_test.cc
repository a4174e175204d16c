#include "service/page_token.h"

#include <gtest/gtest.h>

namespace shoal::service {
namespace {

TEST(PageTokenTest, RoundTripsFields) {
  std::string t = SealPageToken(TokenFields().Add("a").Add("").AddInt(42).Add("x:y"), 1000, "k");
  auto f = OpenPageToken(t, 1000, 300000, "k");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, (std::vector<std::string>{"a", "", "42", "x:y"}));
}

TEST(PageTokenTest, ExpiresAfterTtl) {
  std::string t = SealPageToken(TokenFields().Add("a"), 1000, "k");
  EXPECT_TRUE(OpenPageToken(t, 301000, 300000, "k").ok());
  auto f = OpenPageToken(t, 301001, 300000, "k");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.code(), TokenErrc::kExpired);
}

TEST(PageTokenTest, RejectsTamperingAndOtherKeys) {
  std::string t = SealPageToken(TokenFields().Add("stream"), 1000, "k");
  EXPECT_EQ(OpenPageToken(t, 1000, 300000, "other").code(), TokenErrc::kInvalid);
  for (size_t i = 0; i < t.size(); ++i) {
    std::string bad = t;
    bad[i] = bad[i] == '0' ? '1' : '0';
    EXPECT_FALSE(OpenPageToken(bad, 1000, 300000, "k").ok()) << i;
  }
  EXPECT_FALSE(OpenPageToken("", 1000, 300000, "k").ok());
  EXPECT_FALSE(OpenPageToken("zz", 1000, 300000, "k").ok());
}

}  // namespace
}  // namespace shoal::service
