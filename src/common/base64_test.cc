#include "common/base64.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <random>
#include <string>

namespace shoal {
namespace {

// Independent oracle: OpenSSL's encoder.
std::string OpenSslEncode(std::string_view in) {
  std::string out(Base64EncodedSize(in.size()) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string RandomBytes(std::mt19937& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::string DecodeOrDie(std::string_view in, Base64Padding p = Base64Padding::kOptional) {
  std::string out;
  auto st = Base64DecodeTo(in, out, p);
  EXPECT_TRUE(st.ok()) << in << ": " << st.message();
  return out;
}

Status<Base64Errc> DecodeError(std::string_view in, Base64Padding p = Base64Padding::kOptional) {
  std::string out;
  return Base64DecodeTo(in, out, p);
}

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(DecodeOrDie(encoded, Base64Padding::kRequired), plain);
  }
}

TEST(Base64Test, Boto3Example) {
  const std::string data("\x00\x01hello\xff", 8);
  EXPECT_EQ(Base64Encode(data), "AAFoZWxsb/8=");
  EXPECT_EQ(DecodeOrDie("AAFoZWxsb/8="), data);
}

TEST(Base64Test, AllLengthsUpTo64MatchOpenSsl) {
  std::mt19937 rng(42);
  for (size_t n = 0; n <= 64; ++n) {
    for (int rep = 0; rep < 20; ++rep) {
      const std::string data = RandomBytes(rng, n);
      const std::string enc = Base64Encode(data);
      ASSERT_EQ(enc, OpenSslEncode(data)) << n;
      ASSERT_EQ(enc.size(), Base64EncodedSize(n));
      ASSERT_EQ(DecodeOrDie(enc, Base64Padding::kRequired), data) << n;
      ASSERT_LE(n, Base64MaxDecodedSize(enc.size()));
    }
  }
}

TEST(Base64Test, RandomLargeRoundTrips) {
  std::mt19937 rng(7);
  for (int rep = 0; rep < 200; ++rep) {
    const std::string data = RandomBytes(rng, rng() % 5000);
    const std::string enc = Base64Encode(data);
    ASSERT_EQ(enc, OpenSslEncode(data));
    ASSERT_EQ(DecodeOrDie(enc), data);
  }
}

TEST(Base64Test, EncodeToAndDecodeToAppend) {
  std::string out = "prefix:";
  Base64EncodeTo("foo", out);
  EXPECT_EQ(out, "prefix:Zm9v");
  std::string dec = "x";
  ASSERT_TRUE(Base64DecodeTo("Zm9vYg==", dec).ok());
  EXPECT_EQ(dec, "xfoob");
  // Errors leave the output untouched.
  EXPECT_FALSE(Base64DecodeTo("Zm9v!g==", dec).ok());
  EXPECT_EQ(dec, "xfoob");
}

TEST(Base64Test, DecodeIntoExactBuffer) {
  for (const char* enc : {"Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmFy", "Zg", "Zm8"}) {
    const std::string_view in(enc);
    std::string buf(Base64MaxDecodedSize(in.size()), '\0');
    auto r = Base64DecodeInto(in, buf.data());
    ASSERT_TRUE(r.ok()) << enc;
    EXPECT_LE(*r, buf.size());
  }
}

TEST(Base64Test, MissingPaddingIsOptional) {
  std::mt19937 rng(3);
  for (size_t n = 0; n <= 40; ++n) {
    const std::string data = RandomBytes(rng, n);
    std::string enc = Base64Encode(data);
    while (!enc.empty() && enc.back() == '=') enc.pop_back();
    EXPECT_EQ(DecodeOrDie(enc), data) << n;
    if (n % 3 != 0) {
      auto st = DecodeError(enc, Base64Padding::kRequired);
      ASSERT_FALSE(st.ok());
      EXPECT_EQ(st.code(), Base64Errc::kBadLength);
    }
  }
}

TEST(Base64Test, BadLengthMessages) {
  auto st = DecodeError("23456");  // the AWS-observed case
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Base64Errc::kBadLength);
  EXPECT_EQ(st.message(), "Base64 encoded length is expected a multiple of 4 bytes but found: 5");
  EXPECT_EQ(DecodeError("Q").code(), Base64Errc::kBadLength);
  EXPECT_EQ(DecodeError("QQ=").code(), Base64Errc::kBadLength);  // padded but short
  EXPECT_EQ(DecodeError("QUJD=").code(), Base64Errc::kBadLength);
  EXPECT_EQ(DecodeError("Zm9", Base64Padding::kRequired).message(),
            "Base64 encoded length is expected a multiple of 4 bytes but found: 3");
}

TEST(Base64Test, BadCharacterMessages) {
  const std::pair<const char*, const char*> cases[] = {
      {"=+/=", "Invalid Base64 character: '='"},   // kinesalite's current expectation
      {"QQ=A", "Invalid Base64 character: '='"},   {"Q===", "Invalid Base64 character: '='"},
      {"====", "Invalid Base64 character: '='"},   {"Zm9v Zg=", "Invalid Base64 character: ' '"},
      {"Zm9-", "Invalid Base64 character: '-'"},   {"Zm9_", "Invalid Base64 character: '_'"},
      {"Zm9vYmFy!mFy", "Invalid Base64 character: '!'"},
      {"Zm9vYmFyYmF!", "Invalid Base64 character: '!'"},
      {"Zm9vYmFyYm!=", "Invalid Base64 character: '!'"},
      {"Zm9v\xc3\xbcZg", "Invalid Base64 character: '\xc3\xbc'"},
      {"Zm9vZm9vZm9vZm9v.m9v", "Invalid Base64 character: '.'"},
      {"Zm9vZm9vZm9vZm9vZ.9v", "Invalid Base64 character: '.'"},
  };
  for (const auto& [in, msg] : cases) {
    auto st = DecodeError(in);
    ASSERT_FALSE(st.ok()) << in;
    EXPECT_EQ(st.code(), Base64Errc::kBadCharacter) << in;
    EXPECT_EQ(st.message(), msg) << in;
  }
}

TEST(Base64Test, BadLastCharacter) {
  for (const char* in : {"+/+=", "QR==", "QUJ=", "QR", "QUJ", "Zm9vQR=="}) {
    auto st = DecodeError(in);
    ASSERT_FALSE(st.ok()) << in;
    EXPECT_EQ(st.code(), Base64Errc::kBadLastCharacter) << in;
    EXPECT_EQ(st.message(), "Invalid last non-pad Base64 character dectected");
  }
}

TEST(Base64Test, EveryInvalidByteAtEveryPosition) {
  const std::string valid = "Zm9vYmFyYmF6cXV4";  // 16 chars, 4 quads
  std::string alphabet_mask(256, 0);
  for (char c : std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"))
    alphabet_mask[static_cast<uint8_t>(c)] = 1;
  for (size_t pos = 0; pos < valid.size(); ++pos) {
    for (int b = 0; b < 256; ++b) {
      if (alphabet_mask[b]) continue;
      std::string in = valid;
      in[pos] = static_cast<char>(b);
      auto st = DecodeError(in);
      ASSERT_FALSE(st.ok()) << pos << " " << b;
      // '=' in the last two places is padding, and then the preceding character decides.
      if (b == '=' && pos >= valid.size() - 2) continue;
      EXPECT_EQ(st.code(), Base64Errc::kBadCharacter) << pos << " " << b;
    }
  }
}

}  // namespace
}  // namespace shoal
