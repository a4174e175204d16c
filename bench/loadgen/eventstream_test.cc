#include "eventstream.h"

#include <gtest/gtest.h>

namespace shoal::loadgen {
namespace {

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// One SubscribeToShardEvent as kinesis-mock 0.6.2 (npm kinesis-local) sent it over HTTP/1.1.
const char kKinesisMockFrame[] =
    "000000fb0000005ba67f36590d3a6d6573736167652d747970650700056576656e740b3a6576656e742d74797065070015537562736372696265546f53686172644576656e740d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e7b225265636f726473223a5b5d2c22436f6e74696e756174696f6e53657175656e63654e756d626572223a223439363830343530393634343836393932373132313731363732343438393632333437393134323539333430303036333038393730343938222c224d696c6c6973426568696e644c6174657374223a302c224368696c64536861726473223a6e756c6c7df752cee2";

TEST(Crc32, MatchesZlib) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32(""), 0u);
  EXPECT_EQ(Crc32("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
}

TEST(EventStreamDecoder, DecodesARealSubscribeToShardEvent) {
  EventStreamDecoder d;
  ASSERT_TRUE(d.Feed(FromHex(kKinesisMockFrame)));
  EventMessage m;
  ASSERT_TRUE(d.Next(m)) << d.error();
  EXPECT_EQ(m.Header(":message-type"), "event");
  EXPECT_EQ(m.Header(":event-type"), "SubscribeToShardEvent");
  EXPECT_EQ(m.Header(":content-type"), "application/json");
  EXPECT_TRUE(m.payload.starts_with("{\"Records\":[]"));
  EXPECT_FALSE(d.Next(m));
  EXPECT_FALSE(d.failed());
}

TEST(EventStreamDecoder, RoundTripsByteByByte) {
  std::string wire = EncodeEventMessage({{":message-type", "event"}, {":event-type", "initial-response"}}, "{}") +
                     EncodeEventMessage({{":message-type", "event"}}, std::string(70000, 'x'));
  EventStreamDecoder d;
  std::vector<EventMessage> got;
  for (char c : wire) {
    ASSERT_TRUE(d.Feed(std::string_view(&c, 1)));
    EventMessage m;
    while (d.Next(m)) got.push_back(m);
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].Header(":event-type"), "initial-response");
  EXPECT_EQ(got[0].payload, "{}");
  EXPECT_EQ(got[1].payload.size(), 70000u);
  EXPECT_EQ(got[1].Header(":event-type"), "");
}

TEST(EventStreamDecoder, SkipsNonStringHeaders) {
  // An int header (type 4) and a bool (type 0) before a string header.
  std::string h;
  h += '\x01'; h += 'n'; h += '\x04'; h += std::string("\x00\x00\x00\x07", 4);
  h += '\x01'; h += 'b'; h += '\x00';
  std::string s = EncodeEventMessage({{"k", "v"}}, "p");
  // Re-frame by hand: prelude + (h + k=v header) + payload.
  std::string kv = s.substr(12, s.size() - 12 - 4 - 1);
  std::string headers = h + kv;
  std::string out;
  auto u32 = [&](uint32_t v) { for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i))); };
  u32(static_cast<uint32_t>(16 + headers.size() + 1));
  u32(static_cast<uint32_t>(headers.size()));
  u32(Crc32(out));
  out += headers;
  out += "p";
  u32(Crc32(out));
  EventStreamDecoder d;
  ASSERT_TRUE(d.Feed(out));
  EventMessage m;
  ASSERT_TRUE(d.Next(m)) << d.error();
  ASSERT_EQ(m.headers.size(), 1u);
  EXPECT_EQ(m.Header("k"), "v");
  EXPECT_EQ(m.payload, "p");
}

TEST(EventStreamDecoder, RejectsCorruptFrames) {
  std::string wire = EncodeEventMessage({{"a", "b"}}, "payload");
  std::string bad_prelude = wire;
  bad_prelude[9] ^= 1;
  EventStreamDecoder d1;
  d1.Feed(bad_prelude);
  EventMessage m;
  EXPECT_FALSE(d1.Next(m));
  EXPECT_EQ(d1.error(), "prelude CRC mismatch");

  std::string bad_body = wire;
  bad_body[wire.size() - 6] ^= 1;
  EventStreamDecoder d2;
  d2.Feed(bad_body);
  EXPECT_FALSE(d2.Next(m));
  EXPECT_EQ(d2.error(), "message CRC mismatch");
  EXPECT_FALSE(d2.Feed("more"));
}

}  // namespace
}  // namespace shoal::loadgen
