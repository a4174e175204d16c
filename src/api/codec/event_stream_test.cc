// Event-stream framing, byte for byte against the worked examples of wire-protocol.md §4.6
// (built with @smithy/eventstream-codec and decoded by botocore).

#include "api/codec/event_stream.h"

#include <gtest/gtest.h>

#include "api/codec/codec_test_util.h"

namespace shoal::api {
namespace {

using testing::Unhex;

const std::string kInitialResponse = Unhex(
    "00000068 00000056 4e681724"
    "0b 3a6576656e742d74797065 07 0010 696e697469616c2d726573706f6e7365"
    "0d 3a636f6e74656e742d74797065 07 0010 6170706c69636174696f6e2f6a736f6e"
    "0d 3a6d6573736167652d74797065 07 0005 6576656e74"
    "7b7d"
    "d591c62b");

const std::string kRecordsEvent = Unhex(
    "000001880000005bd3517fe30b3a6576656e742d74797065070015537562736372696265546f53686172644576"
    "656e740d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d657373616765"
    "2d747970650700056576656e747b22436f6e74696e756174696f6e53657175656e63654e756d626572223a2234"
    "393539303333383237313439303235363630383535393639323533383336313537313039353932313537353938"
    "39313336353838383032222c224d696c6c6973426568696e644c6174657374223a302c225265636f726473223a"
    "5b7b22417070726f78696d6174654172726976616c54696d657374616d70223a313730303030303030302e3132"
    "332c2244617461223a22614756736247383d222c22506172746974696f6e4b6579223a22706b222c2253657175"
    "656e63654e756d626572223a223439353930333338323731343930323536363038353539363932353338333631"
    "353731303935393231353735393839313336353838383032227d5d7d1dbe39f6");

const std::string kException = Unhex(
    "000000a400000064aa5a437e0f3a657863657074696f6e2d747970650700165265736f75726365496e55736545"
    "7863657074696f6e0d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d65"
    "73736167652d74797065070009657863657074696f6e7b226d657373616765223a22416e6f7468657220616374"
    "69766520737562736372697074696f6e20657869737473227d64180efd");

TEST(EventStreamTest, InitialResponseMatchesTheWorkedExample) {
  ASSERT_EQ(kInitialResponse.size(), 104u);
  EXPECT_EQ(EncodeEvent("initial-response", "application/json", "{}"), kInitialResponse);
}

TEST(EventStreamTest, RecordsEventMatchesTheWorkedExample) {
  ASSERT_EQ(kRecordsEvent.size(), 392u);
  auto decoded = DecodeEventMessage(kRecordsEvent);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->second, 392u);
  const EventMessage& m = decoded->first;
  ASSERT_EQ(m.headers.size(), 3u);
  EXPECT_EQ(m.headers[0], (std::pair<std::string, std::string>{":event-type", "SubscribeToShardEvent"}));
  EXPECT_EQ(m.payload.size(), 285u);
  EXPECT_EQ(m.payload.substr(0, 30), "{\"ContinuationSequenceNumber\":");
  EXPECT_EQ(EncodeEvent("SubscribeToShardEvent", "application/json", m.payload), kRecordsEvent);
}

TEST(EventStreamTest, ExceptionMatchesTheWorkedExample) {
  ASSERT_EQ(kException.size(), 164u);
  EXPECT_EQ(EncodeException("ResourceInUseException",
                            R"({"message":"Another active subscription exists"})"),
            kException);
}

TEST(EventStreamTest, DecodeRejectsDamageAndTruncation) {
  EXPECT_FALSE(DecodeEventMessage(kInitialResponse.substr(0, 103)));
  EXPECT_FALSE(DecodeEventMessage(""));
  for (size_t i = 0; i < kInitialResponse.size(); ++i) {
    std::string bad = kInitialResponse;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    EXPECT_FALSE(DecodeEventMessage(bad)) << "flipped byte " << i;
  }
  // Two messages back to back: the first one and its length.
  auto two = DecodeEventMessage(kInitialResponse + kException);
  ASSERT_TRUE(two);
  EXPECT_EQ(two->second, 104u);
  EXPECT_EQ(two->first.payload, "{}");
}

TEST(EventStreamTest, EmptyPayloadAndNoHeadersIsTheMinimalMessage) {
  std::string out;
  EncodeEventMessage({}, "", &out);
  ASSERT_EQ(out.size(), 16u);
  auto d = DecodeEventMessage(out);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->first.headers.empty());
  EXPECT_TRUE(d->first.payload.empty());
}

}  // namespace
}  // namespace shoal::api
