#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "api/codec/codec_test_util.h"
#include "api/codec/reader.h"

namespace shoal::api {
namespace {

using testing::Unhex;

// wire-protocol.md §2.3.
constexpr std::string_view kPutRecordHex =
    "bf 6a 53747265616d4e616d65 62 7331 64 44617461 44 00016869 6c 506172746974696f6e4b6579 62 "
    "706b ff";
constexpr std::string_view kGetShardIteratorHex =
    "a1 69 54696d657374616d70 c1 1b 0000018cc820db2e";
constexpr std::string_view kGetRecordsHex =
    "a3675265636f72647381a46e53657175656e63654e756d62657278383439353930333338323731343930323536"
    "363038353539363932353338333631353731303935393231353735393839313336353838383032781b41707072"
    "6f78696d6174654172726976616c54696d657374616d70c11b0000018bcfe5687b64446174614568656c6c6f6c"
    "506172746974696f6e4b657962706b714e65787453686172644974657261746f726c41414141414141414141493d"
    "724d696c6c6973426568696e644c617465737400";

Value DecodeOk(std::string_view hex) {
  auto r = ReadCbor(Unhex(hex));
  EXPECT_TRUE(r.ok()) << hex << ": " << (r.ok() ? "" : r.message());
  return r.ok() ? std::move(r).value() : Value();
}

void ExpectMalformedBytes(std::string_view bytes, std::string_view what = "") {
  auto r = ReadCbor(bytes);
  ASSERT_FALSE(r.ok()) << what << " " << testing::Hex(bytes) << " decoded as "
                       << (r.ok() ? testing::Dump(*r) : "");
  EXPECT_EQ(r.code(), CodecErrc::kMalformed);
  EXPECT_EQ(r.message().rfind("Malformed CBOR: ", 0), 0u) << r.message();
}

void ExpectMalformed(std::string_view hex) { ExpectMalformedBytes(Unhex(hex), hex); }

TEST(CborReaderTest, EmptyBodyIsEmptyObject) {
  auto r = ReadCbor("");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind(), Value::Kind::kObject);
  EXPECT_TRUE(r->members().empty());
}

TEST(CborReaderTest, PutRecordIndefiniteMap) {
  Value v = DecodeOk(kPutRecordHex);
  ASSERT_EQ(v.kind(), Value::Kind::kObject);
  ASSERT_EQ(v.members().size(), 3u);
  EXPECT_EQ(v.Find("StreamName")->as_string(), "s1");
  EXPECT_EQ(v.Find("StreamName")->kind(), Value::Kind::kString);
  EXPECT_EQ(v.Find("Data")->kind(), Value::Kind::kBytes);
  EXPECT_EQ(v.Find("Data")->as_string(), std::string("\x00\x01hi", 4));
  EXPECT_EQ(v.Find("PartitionKey")->as_string(), "pk");
}

TEST(CborReaderTest, GetShardIteratorTimestampTag1Millis) {
  Value v = DecodeOk(kGetShardIteratorHex);
  const Value* ts = v.Find("Timestamp");
  ASSERT_NE(ts, nullptr);
  EXPECT_EQ(ts->kind(), Value::Kind::kInt);
  EXPECT_EQ(ts->as_int(), 1704164645678);
  EXPECT_TRUE(ts->tagged_epoch());
  EXPECT_FALSE(v.tagged_epoch());
}

TEST(CborReaderTest, GetRecordsResponse) {
  Value v = DecodeOk(kGetRecordsHex);
  ASSERT_EQ(v.members().size(), 3u);
  const Value* records = v.Find("Records");
  ASSERT_EQ(records->items().size(), 1u);
  const Value& r = records->items()[0];
  EXPECT_EQ(r.Find("SequenceNumber")->as_string(),
            "49590338271490256608559692538361571095921575989136588802");
  EXPECT_EQ(r.Find("ApproximateArrivalTimestamp")->as_int(), 1700000000123);
  EXPECT_TRUE(r.Find("ApproximateArrivalTimestamp")->tagged_epoch());
  EXPECT_EQ(r.Find("Data")->kind(), Value::Kind::kBytes);
  EXPECT_EQ(r.Find("Data")->as_string(), "hello");
  EXPECT_EQ(r.Find("PartitionKey")->as_string(), "pk");
  EXPECT_EQ(v.Find("NextShardIterator")->as_string(), "AAAAAAAAAAI=");
  EXPECT_EQ(v.Find("MillisBehindLatest")->as_int(), 0);
}

TEST(CborReaderTest, UnsignedIntegers) {
  const std::pair<std::string_view, int64_t> cases[] = {
      {"00", 0},          {"17", 23},         {"1818", 24},
      {"18ff", 255},      {"190100", 256},    {"19ffff", 65535},
      {"1a00010000", 65536}, {"1b0000000100000000", int64_t{1} << 32},
      {"1b7fffffffffffffff", INT64_MAX}, {"1800", 0} /* non-shortest is accepted */,
  };
  for (const auto& [hex, want] : cases) {
    Value v = DecodeOk(hex);
    EXPECT_EQ(v.kind(), Value::Kind::kInt) << hex;
    EXPECT_EQ(v.as_int(), want) << hex;
  }
  Value big = DecodeOk("1b8000000000000000");
  EXPECT_EQ(big.kind(), Value::Kind::kDouble);
  EXPECT_EQ(big.as_double(), 9223372036854775808.0);
  EXPECT_EQ(DecodeOk("1bffffffffffffffff").as_double(), 18446744073709551615.0);
}

TEST(CborReaderTest, NegativeIntegers) {
  const std::pair<std::string_view, int64_t> cases[] = {
      {"20", -1},        {"37", -24},      {"3818", -25},  {"38ff", -256},
      {"390100", -257},  {"3a00010000", -65537}, {"3b7fffffffffffffff", INT64_MIN},
  };
  for (const auto& [hex, want] : cases) {
    Value v = DecodeOk(hex);
    EXPECT_EQ(v.kind(), Value::Kind::kInt) << hex;
    EXPECT_EQ(v.as_int(), want) << hex;
  }
  Value big = DecodeOk("3bffffffffffffffff");  // -2^64
  EXPECT_EQ(big.kind(), Value::Kind::kDouble);
  EXPECT_EQ(big.as_double(), -18446744073709551616.0);
}

TEST(CborReaderTest, Strings) {
  EXPECT_EQ(DecodeOk("60").as_string(), "");
  EXPECT_EQ(DecodeOk("6161").as_string(), "a");
  EXPECT_EQ(DecodeOk("62c3bc").as_string(), "\xc3\xbc");
  EXPECT_EQ(DecodeOk("40").kind(), Value::Kind::kBytes);
  EXPECT_EQ(DecodeOk("4401020304").as_string(), "\x01\x02\x03\x04");
  EXPECT_EQ(DecodeOk("5818" + testing::Hex(std::string(24, 'x'))).as_string().size(), 24u);
  const std::string long_text(300, 'y');
  EXPECT_EQ(DecodeOk("79012c" + testing::Hex(long_text)).as_string(), long_text);
  // Byte strings may hold anything, including invalid UTF-8.
  EXPECT_EQ(DecodeOk("42ff00").as_string(), std::string("\xff\x00", 2));
}

TEST(CborReaderTest, IndefiniteLengthStrings) {
  Value b = DecodeOk("5f 42 0102 43 030405 40 ff");
  EXPECT_EQ(b.kind(), Value::Kind::kBytes);
  EXPECT_EQ(b.as_string(), "\x01\x02\x03\x04\x05");
  Value t = DecodeOk("7f 65 7374726561 64 6d696e67 ff");
  EXPECT_EQ(t.kind(), Value::Kind::kString);
  EXPECT_EQ(t.as_string(), "streaming");
  EXPECT_EQ(DecodeOk("5fff").as_string(), "");
  EXPECT_EQ(DecodeOk("7fff").kind(), Value::Kind::kString);
  // A UTF-8 sequence may be split across chunks; validity is checked on the whole string.
  EXPECT_EQ(DecodeOk("7f 61c3 61bc ff").as_string(), "\xc3\xbc");
  // Indefinite key.
  EXPECT_EQ(DecodeOk("bf 7f 6141 6142 ff 01 ff").Find("AB")->as_int(), 1);
}

TEST(CborReaderTest, ArraysAndMaps) {
  Value a = DecodeOk("83 01 9f 02 03 ff 80");
  ASSERT_EQ(a.items().size(), 3u);
  EXPECT_EQ(a.items()[1].items().size(), 2u);
  EXPECT_TRUE(a.items()[2].items().empty());
  EXPECT_TRUE(DecodeOk("9fff").items().empty());
  Value m = DecodeOk("a2 61 61 a0 61 62 bf 61 63 9f ff ff");
  EXPECT_TRUE(m.Find("a")->members().empty());
  EXPECT_TRUE(m.Find("b")->Find("c")->items().empty());
  // 24 entries use a one-byte count.
  std::string hex = "9818";
  for (int i = 0; i < 24; ++i) hex += "f5";
  EXPECT_EQ(DecodeOk(hex).items().size(), 24u);
}

TEST(CborReaderTest, DuplicateKeysKeepLastValue) {
  Value m = DecodeOk("bf 6161 01 6162 02 6161 03 ff");
  ASSERT_EQ(m.members().size(), 2u);
  EXPECT_EQ(m.members()[0].first, "a");
  EXPECT_EQ(m.members()[0].second.as_int(), 3);
}

TEST(CborReaderTest, Tags) {
  EXPECT_TRUE(DecodeOk("c1 1a 5f5e1000").tagged_epoch());
  EXPECT_TRUE(DecodeOk("c1 fb 41d964df496b645a").tagged_epoch());  // tag 1 on a float
  // Other tags are skipped, including those libcbor 0.8 rejects (6..20) and long forms.
  Value t6 = DecodeOk("c6 01");
  EXPECT_EQ(t6.as_int(), 1);
  EXPECT_FALSE(t6.tagged_epoch());
  EXPECT_EQ(DecodeOk("d4 01").as_int(), 1);
  EXPECT_EQ(DecodeOk("d8 20 63 616263").as_string(), "abc");
  EXPECT_EQ(DecodeOk("d9 d9f7 01").as_int(), 1);  // self-described CBOR
  EXPECT_EQ(DecodeOk("db 0000000100000000 01").as_int(), 1);
  EXPECT_FALSE(DecodeOk("c0 74 323031332d30332d32315432303a30343a30305a").tagged_epoch());
  // Chains: tag 1 anywhere in the chain marks the item.
  EXPECT_TRUE(DecodeOk("c6 c1 01").tagged_epoch());
  EXPECT_TRUE(DecodeOk("c1 c6 01").tagged_epoch());
  // Tags on containers and inside them.
  Value a = DecodeOk("c6 82 c1 01 02");
  EXPECT_TRUE(a.items()[0].tagged_epoch());
  EXPECT_FALSE(a.items()[1].tagged_epoch());
}

TEST(CborReaderTest, SimpleValuesAndFloats) {
  EXPECT_FALSE(DecodeOk("f4").as_bool());
  EXPECT_TRUE(DecodeOk("f5").as_bool());
  EXPECT_TRUE(DecodeOk("f6").is_null());
  EXPECT_TRUE(DecodeOk("f7").is_null());  // undefined
  const std::pair<std::string_view, double> floats[] = {
      {"f90000", 0.0},         {"f93c00", 1.0},           {"f93e00", 1.5},
      {"f97bff", 65504.0},     {"f90001", 5.9604644775390625e-8}, {"f90400", 6.103515625e-5},
      {"f9c400", -4.0},        {"fa47c35000", 100000.0},  {"fa3fc00000", 1.5},
      {"fb3ff199999999999a", 1.1}, {"fb41d964df496b645a", 1704164645.678},
  };
  for (const auto& [hex, want] : floats) {
    Value v = DecodeOk(hex);
    EXPECT_EQ(v.kind(), Value::Kind::kDouble) << hex;
    EXPECT_EQ(v.as_double(), want) << hex;
  }
  EXPECT_TRUE(std::signbit(DecodeOk("f98000").as_double()));
  EXPECT_EQ(DecodeOk("f97c00").as_double(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(DecodeOk("f9fc00").as_double(), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(DecodeOk("f97e00").as_double()));
  EXPECT_TRUE(std::isnan(DecodeOk("fa7fc00000").as_double()));
}

TEST(CborReaderTest, MalformedInputs) {
  for (std::string_view hex : {
           "a1 01 02",            // integer key
           "a1 41 61 01",         // byte-string key
           "a1 c1 61 61 01",      // tagged key
           "bf 9f ff 01 ff",      // array key
           "a0 00",               // trailing bytes
           "00 00",
           "ff",                  // break outside a container
           "81 ff",               // break in a definite array
           "9f c1 ff",            // tag without an item
           "bf 61 61 ff",         // key without a value
           "1c", "3d", "5e", "7c", "9d", "be", "dc", "fd",  // reserved additional info
           "1f", "3f", "df",      // indefinite integer / tag
           "5f 61 61 ff",         // text chunk in a byte string
           "7f 41 61 ff",         // byte chunk in a text string
           "5f 5f ff ff",         // nested indefinite chunk
           "5f 01 ff",            // non-string chunk
           "62 c3 28",            // invalid UTF-8 text
           "61 ff",
           "7f 61 c3 ff",         // invalid UTF-8 across chunks
           "a1 62 c3 28 01",      // invalid UTF-8 key
           "e0", "f3", "f8 20", "f8 ff",  // unassigned simple values
           "5b ffffffffffffffff", // byte string longer than the input
           "7b 00000000ffffffff 61",
           "9b ffffffffffffffff 01",
           "9a ffffffff 01",
           "bb ffffffffffffffff 61 61 01",
           "ba 00000002 61 61 01",
       }) {
    ExpectMalformed(hex);
  }
}

TEST(CborReaderTest, NestingLimit) {
  auto nested = [](int depth, std::string_view open) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += Unhex(open);
    s += '\x00';
    return s;
  };
  EXPECT_TRUE(ReadCbor(nested(kMaxNestingDepth, "81")).ok());
  ExpectMalformedBytes(nested(kMaxNestingDepth + 1, "81"));
  ExpectMalformedBytes(nested(1000000, "81"));
  ExpectMalformedBytes(nested(1000000, "9f"));
  ExpectMalformedBytes(nested(1000000, "a1 61 61"));
  // Tags do not nest the stack: a long chain is fine.
  EXPECT_TRUE(ReadCbor(nested(100000, "c6")).ok());
}

// Valid documents covering every decoder path; used by the truncation and mutation loops.
std::vector<std::string> Corpus() {
  std::vector<std::string> docs;
  for (std::string_view hex :
       {kPutRecordHex, kGetShardIteratorHex, kGetRecordsHex,
        std::string_view("bf 63 6b6579 5f 42 0102 43 030405 ff 63 74787a 7f 62 6869 61 21 ff "
                         "61 61 9f f4 f5 f6 f7 f9 3c00 fa 47c35000 fb 3ff199999999999a ff "
                         "61 62 d8 20 c1 3b 0000018bcfe5687b ff"),
        std::string_view("a2 61 78 1b 7fffffffffffffff 61 79 83 38 ff 19 0100 a1 60 80")}) {
    docs.push_back(Unhex(hex));
  }
  return docs;
}

TEST(CborReaderTest, EveryTruncationIsMalformed) {
  for (const std::string& doc : Corpus()) {
    ASSERT_TRUE(ReadCbor(doc).ok()) << testing::Hex(doc);
    for (size_t n = 1; n < doc.size(); ++n) ExpectMalformedBytes(doc.substr(0, n), "truncation");
  }
}

// Fuzz-like: random byte flips, insertions and deletions must never crash, and every failure
// must be kMalformed. Run under ASan/UBSan for full value.
TEST(CborReaderTest, MutationsNeverCrash) {
  std::mt19937 rng(2024);
  size_t accepted = 0;
  for (const std::string& doc : Corpus()) {
    for (int iter = 0; iter < 20000; ++iter) {
      std::string m = doc;
      for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k) {
        const size_t pos = rng() % m.size();
        switch (rng() % 3) {
          case 0:
            m[pos] = static_cast<char>(rng());
            break;
          case 1:
            m.insert(m.begin() + static_cast<ptrdiff_t>(pos), static_cast<char>(rng()));
            break;
          default:
            if (m.size() > 1) m.erase(m.begin() + static_cast<ptrdiff_t>(pos));
        }
      }
      auto r = ReadCbor(m);
      if (r.ok()) {
        ++accepted;
      } else {
        ASSERT_EQ(r.code(), CodecErrc::kMalformed);
      }
    }
  }
  EXPECT_GT(accepted, 0u);
}

TEST(CborReaderTest, RandomBytesNeverCrash) {
  std::mt19937 rng(99);
  for (int iter = 0; iter < 100000; ++iter) {
    std::string s(1 + rng() % 24, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    auto r = ReadCbor(s);
    if (!r.ok()) {
      ASSERT_EQ(r.code(), CodecErrc::kMalformed);
    }
  }
}

}  // namespace
}  // namespace shoal::api
