#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace shoal {
namespace {

TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(""), 0u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);
}

TEST(Crc32cTest, ExtendEqualsWhole) {
  std::string data = "hello, kinesis stream shard log";
  for (size_t split = 0; split <= data.size(); ++split) {
    std::string_view view(data);
    EXPECT_EQ(Crc32cExtend(Crc32c(view.substr(0, split)), view.substr(split)), Crc32c(data))
        << split;
  }
}

TEST(Crc32cTest, HardwareAgreesWithPortableAtEveryAlignment) {
  std::mt19937 rng(7);
  std::string buffer(300, '\0');
  for (char& c : buffer) c = static_cast<char>(rng());
  std::string_view all(buffer);
  for (size_t start = 0; start < 16; ++start) {
    for (size_t len = 0; len + start <= all.size(); len += 7) {
      std::string_view piece = all.substr(start, len);
      ASSERT_EQ(Crc32cExtend(0x1234u, piece), internal::Crc32cExtendPortable(0x1234u, piece))
          << start << "+" << len;
    }
  }
}

TEST(Crc32cTest, MaskRoundTripsAndChangesValue) {
  for (uint32_t crc : {0u, 1u, 0xE3069283u, 0xffffffffu}) {
    EXPECT_NE(MaskCrc32c(crc), crc);
    EXPECT_EQ(UnmaskCrc32c(MaskCrc32c(crc)), crc);
    EXPECT_NE(MaskCrc32c(MaskCrc32c(crc)), MaskCrc32c(crc));
  }
}

}  // namespace
}  // namespace shoal
