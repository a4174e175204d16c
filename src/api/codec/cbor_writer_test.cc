#include <cbor.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "api/codec/codec_test_util.h"
#include "api/codec/reader.h"
#include "api/codec/writer.h"

namespace shoal::api {
namespace {

using testing::Hex;
using testing::Unhex;

std::string Encode(const std::function<void(Writer&)>& body) {
  auto w = NewCborWriter();
  body(*w);
  return w->Finish();
}

std::string IntHex(int64_t i) {
  return Hex(Encode([i](Writer& w) { w.Int(i); }));
}

// libcbor, an independent decoder, must consume the whole buffer as one item.
void ExpectLibcborAccepts(const std::string& bytes) {
  cbor_load_result res;
  cbor_item_t* item = cbor_load(reinterpret_cast<cbor_data>(bytes.data()), bytes.size(), &res);
  ASSERT_NE(item, nullptr) << Hex(bytes) << " error " << res.error.code << " at "
                           << res.error.position;
  EXPECT_EQ(res.read, bytes.size()) << Hex(bytes);
  cbor_decref(&item);
}

TEST(CborWriterTest, ErrorBodyIsByteExact) {
  const std::string msg = "Stream s1 under account 000000000000 not found.";
  const std::string out = Encode([&](Writer& w) {
    w.BeginObject();
    w.Key("__type");
    w.String("ResourceNotFoundException");
    w.Key("message");
    w.String(msg);
    w.EndObject();
  });
  // wire-protocol.md §2.3.
  EXPECT_EQ(Hex(out), "a2" "66" "5f5f74797065" "7819" "5265736f757263654e6f74466f756e64457863657074696f6e"
                      "67" "6d657373616765" "782f" + Hex(msg));
}

TEST(CborWriterTest, GetRecordsResponseIsByteExact) {
  const std::string out = Encode([](Writer& w) {
    w.BeginObject();
    w.Key("Records");
    w.BeginArray();
    w.BeginObject();
    w.Key("SequenceNumber");
    w.String("49590338271490256608559692538361571095921575989136588802");
    w.Key("ApproximateArrivalTimestamp");
    w.TimestampMs(1700000000123);
    w.Key("Data");
    w.Blob("hello");
    w.Key("PartitionKey");
    w.String("pk");
    w.EndObject();
    w.EndArray();
    w.Key("NextShardIterator");
    w.String("AAAAAAAAAAI=");
    w.Key("MillisBehindLatest");
    w.Int(0);
    w.EndObject();
  });
  // wire-protocol.md §2.3, byte for byte.
  EXPECT_EQ(Hex(out),
            "a3675265636f72647381a46e53657175656e63654e756d62657278383439353930333338323731343930"
            "323536363038353539363932353338333631353731303935393231353735393839313336353838383032"
            "781b417070726f78696d6174654172726976616c54696d657374616d70c11b0000018bcfe5687b644461"
            "74614568656c6c6f6c506172746974696f6e4b657962706b714e65787453686172644974657261746f72"
            "6c41414141414141414141493d724d696c6c6973426568696e644c617465737400");
  ExpectLibcborAccepts(out);
}

TEST(CborWriterTest, IntegersUseShortestForm) {
  EXPECT_EQ(IntHex(0), "00");
  EXPECT_EQ(IntHex(23), "17");
  EXPECT_EQ(IntHex(24), "1818");
  EXPECT_EQ(IntHex(255), "18ff");
  EXPECT_EQ(IntHex(256), "190100");
  EXPECT_EQ(IntHex(65535), "19ffff");
  EXPECT_EQ(IntHex(65536), "1a00010000");
  EXPECT_EQ(IntHex(4294967295), "1affffffff");
  EXPECT_EQ(IntHex(4294967296), "1b0000000100000000");
  EXPECT_EQ(IntHex(INT64_MAX), "1b7fffffffffffffff");
  EXPECT_EQ(IntHex(-1), "20");
  EXPECT_EQ(IntHex(-24), "37");
  EXPECT_EQ(IntHex(-25), "3818");
  EXPECT_EQ(IntHex(-256), "38ff");
  EXPECT_EQ(IntHex(-257), "390100");
  EXPECT_EQ(IntHex(INT64_MIN), "3b7fffffffffffffff");
}

TEST(CborWriterTest, Scalars) {
  EXPECT_EQ(Hex(Encode([](Writer& w) { w.Bool(true); })), "f5");
  EXPECT_EQ(Hex(Encode([](Writer& w) { w.Bool(false); })), "f4");
  EXPECT_EQ(Hex(Encode([](Writer& w) { w.Null(); })), "f6");
  EXPECT_EQ(Hex(Encode([](Writer& w) { w.Double(1.1); })), "fb3ff199999999999a");
  EXPECT_EQ(Hex(Encode([](Writer& w) { w.String(""); })), "60");
  EXPECT_EQ(Hex(Encode([](Writer& w) { w.Blob(""); })), "40");
  EXPECT_EQ(Hex(Encode([](Writer& w) { w.Blob("\x01\x02"); })), "420102");
  EXPECT_EQ(Hex(Encode([](Writer& w) { w.TimestampMs(1700000000123); })), "c11b0000018bcfe5687b");
  EXPECT_EQ(Hex(Encode([](Writer& w) { w.TimestampMs(-1); })), "c120");
  EXPECT_EQ(Hex(Encode([](Writer& w) { w.TimestampMs(0); })), "c100");
}

TEST(CborWriterTest, StringLengthHeads) {
  for (const auto& [len, head] : std::vector<std::pair<size_t, std::string>>{
           {23, "77"}, {24, "7818"}, {255, "78ff"}, {256, "790100"}, {65536, "7a00010000"}}) {
    const std::string s(len, 'a');
    const std::string out = Encode([&](Writer& w) { w.String(s); });
    EXPECT_EQ(Hex(out.substr(0, head.size() / 2)), head) << len;
    EXPECT_EQ(out.size(), head.size() / 2 + len);
  }
}

TEST(CborWriterTest, SmallContainersDefiniteLargeIndefinite) {
  auto array_of = [](int n) {
    return Encode([n](Writer& w) {
      w.BeginArray();
      for (int i = 0; i < n; ++i) w.Int(1);
      w.EndArray();
    });
  };
  EXPECT_EQ(Hex(array_of(0)), "80");
  std::string ones;
  for (int i = 0; i < 23; ++i) ones += "01";
  EXPECT_EQ(Hex(array_of(23)), "97" + ones);
  const std::string big = array_of(24);
  EXPECT_EQ(static_cast<uint8_t>(big.front()), 0x9F);
  EXPECT_EQ(static_cast<uint8_t>(big.back()), 0xFF);
  EXPECT_EQ(big.size(), 26u);
  ExpectLibcborAccepts(big);

  EXPECT_EQ(Hex(Encode([](Writer& w) {
              w.BeginObject();
              w.EndObject();
            })),
            "a0");
  const std::string map = Encode([](Writer& w) {
    w.BeginObject();
    for (int i = 0; i < 30; ++i) {
      w.Key("k" + std::to_string(i));
      w.BeginArray();  // nested small container inside a large one
      w.Int(i);
      w.EndArray();
    }
    w.EndObject();
  });
  EXPECT_EQ(static_cast<uint8_t>(map.front()), 0xBF);
  EXPECT_EQ(static_cast<uint8_t>(map.back()), 0xFF);
  EXPECT_EQ(Hex(map.substr(1, 5)), "626b308100");
  ExpectLibcborAccepts(map);
  auto r = ReadCbor(map);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->members().size(), 30u);
}

TEST(CborWriterTest, RandomTreesRoundTripThroughReader) {
  testing::RandomValues gen(777, Format::kCbor);
  for (int i = 0; i < 3000; ++i) {
    const Value v = gen.Next();
    auto w = NewCborWriter();
    WriteValue(v, *w);
    const std::string out = w->Finish();
    ExpectLibcborAccepts(out);
    auto r = ReadCbor(out);
    ASSERT_TRUE(r.ok()) << Hex(out) << ": " << r.message();
    ASSERT_TRUE(testing::ValueEq(*r, v)) << testing::Dump(v) << "\nvs\n" << testing::Dump(*r);
  }
}

TEST(CborWriterTest, NonFiniteDoublesRoundTrip) {
  for (double d : {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                   std::numeric_limits<double>::quiet_NaN(), -0.0}) {
    auto r = ReadCbor(Encode([d](Writer& w) { w.Double(d); }));
    ASSERT_TRUE(r.ok());
    if (std::isnan(d)) {
      EXPECT_TRUE(std::isnan(r->as_double()));
    } else {
      EXPECT_EQ(r->as_double(), d);
      EXPECT_EQ(std::signbit(r->as_double()), std::signbit(d));
    }
  }
}

TEST(CborWriterTest, ReaderOutputRewritesToSameValue) {
  // Decode the doc's indefinite PutRecord, re-encode (small map becomes definite), decode again.
  const std::string put = Unhex(
      "bf 6a 53747265616d4e616d65 62 7331 64 44617461 44 00016869 6c 506172746974696f6e4b6579 62 "
      "706b ff");
  auto first = ReadCbor(put);
  ASSERT_TRUE(first.ok());
  auto w = NewCborWriter();
  WriteValue(*first, *w);
  const std::string out = w->Finish();
  EXPECT_EQ(Hex(out), "a3" + Hex(put.substr(1, put.size() - 2)));
  auto second = ReadCbor(out);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(testing::ValueEq(*first, *second));
}

}  // namespace
}  // namespace shoal::api
