#include "meta/coding.h"

#include <gtest/gtest.h>

#include <limits>

namespace shoal::meta {
namespace {

TEST(CodingTest, FixedIntsAreLittleEndian) {
  std::string out;
  PutFixed32(&out, 0x04030201u);
  PutFixed64(&out, 0x0c0b0a0908070605ull);
  EXPECT_EQ(out, std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c", 12));
  Decoder d(out);
  EXPECT_EQ(d.Fixed32("a"), 0x04030201u);
  EXPECT_EQ(d.Fixed64("b"), 0x0c0b0a0908070605ull);
  d.ExpectEnd();
  EXPECT_TRUE(d.ok()) << d.error();
}

TEST(CodingTest, VarintsRoundTripAtBoundaries) {
  std::vector<uint64_t> values = {0,
                                  1,
                                  127,
                                  128,
                                  16383,
                                  16384,
                                  (1ull << 32) - 1,
                                  1ull << 32,
                                  std::numeric_limits<uint64_t>::max()};
  for (uint64_t v : values) {
    std::string out;
    PutVarint64(&out, v);
    Decoder d(out);
    EXPECT_EQ(d.Varint64("v"), v);
    d.ExpectEnd();
    EXPECT_TRUE(d.ok()) << v << ": " << d.error();
    if (v <= std::numeric_limits<uint32_t>::max()) {
      Decoder d32(out);
      EXPECT_EQ(d32.Varint32("v"), v);
      EXPECT_TRUE(d32.ok());
    } else {
      Decoder d32(out);
      d32.Varint32("v");
      EXPECT_FALSE(d32.ok()) << v;
    }
  }
}

TEST(CodingTest, RejectsOverlongAndOverflowingVarints) {
  for (std::string bad :
       {std::string("\x80\x00", 2), std::string("\x80", 1), std::string("\xff\xff\xff\xff\x10", 5),
        std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10),
        std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11)}) {
    Decoder d(bad);
    if (bad.size() <= 5) {
      d.Varint32("v");
    } else {
      d.Varint64("v");
    }
    EXPECT_FALSE(d.ok()) << bad.size();
  }
}

TEST(CodingTest, U128AndStrings) {
  std::string out;
  uint128 big = (static_cast<uint128>(0x0102030405060708ull) << 64) | 0x090a0b0c0d0e0f10ull;
  PutU128(&out, big);
  PutString(&out, "hello");
  PutString(&out, "");
  EXPECT_EQ(out.size(), 16u + 6u + 1u);
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0x10);  // least significant byte first
  Decoder d(out);
  EXPECT_TRUE(d.U128("big") == big);
  EXPECT_EQ(d.String("s"), "hello");
  EXPECT_EQ(d.String("e"), "");
  d.ExpectEnd();
  EXPECT_TRUE(d.ok()) << d.error();
}

TEST(CodingTest, FailureIsStickyAndNamesFieldAndOffset) {
  std::string out;
  PutString(&out, "abc");
  out.pop_back();
  Decoder d(out);
  EXPECT_EQ(d.String("name"), "");
  EXPECT_FALSE(d.ok());
  EXPECT_NE(d.error().find("name"), std::string::npos) << d.error();
  EXPECT_NE(d.error().find("byte 1"), std::string::npos) << d.error();
  std::string first = d.error();
  EXPECT_EQ(d.U8("later"), 0);
  EXPECT_EQ(d.error(), first);
}

TEST(CodingTest, CountPresenceAndEnumChecks) {
  // Decoder keeps a view: the buffers must outlive it.
  const std::string count_bytes("\x05\x01\x02", 3), presence_bytes("\x02", 1),
      enum_bytes("\x04", 1), trailing_bytes("\x01\x02", 2);
  Decoder count(count_bytes);
  count.Count("n");
  EXPECT_FALSE(count.ok());
  Decoder presence(presence_bytes);
  presence.Presence("p");
  EXPECT_FALSE(presence.ok());
  Decoder value(enum_bytes);
  value.Enum("status", 3);
  EXPECT_FALSE(value.ok());
  Decoder trailing(trailing_bytes);
  trailing.U8("x");
  trailing.ExpectEnd();
  EXPECT_FALSE(trailing.ok());
}

}  // namespace
}  // namespace shoal::meta
