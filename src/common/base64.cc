#include "common/base64.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

namespace shoal {
namespace {

static_assert(std::endian::native == std::endian::little, "the table layouts assume little-endian");

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Encoding: one lookup turns 12 input bits into two output characters (little-endian pair).
struct EncodeTable {
  uint16_t pair[4096];
};

constexpr EncodeTable MakeEncodeTable() {
  EncodeTable t{};
  for (int i = 0; i < 4096; ++i) {
    t.pair[i] = static_cast<uint16_t>(static_cast<uint8_t>(kAlphabet[i >> 6]) |
                                      static_cast<uint8_t>(kAlphabet[i & 63]) << 8);
  }
  return t;
}

constexpr EncodeTable kEncode = MakeEncodeTable();

// Decoding: four tables map each character of a quad straight to its bits in the 3 output bytes
// (little-endian word), so a quad is four loads and three ORs. Invalid characters set kBad.
constexpr uint32_t kBad = 0x01000000;

struct DecodeTables {
  int8_t value[256];  // 0..63, or -1
  uint32_t d0[256], d1[256], d2[256], d3[256];
};

constexpr DecodeTables MakeDecodeTables() {
  DecodeTables t{};
  for (int c = 0; c < 256; ++c) {
    t.value[c] = -1;
    t.d0[c] = t.d1[c] = t.d2[c] = t.d3[c] = kBad;
  }
  for (uint32_t v = 0; v < 64; ++v) {
    const auto c = static_cast<uint8_t>(kAlphabet[v]);
    t.value[c] = static_cast<int8_t>(v);
    t.d0[c] = v << 2;
    t.d1[c] = (v >> 4) | (v & 0xF) << 12;
    t.d2[c] = (v >> 2) << 8 | (v & 0x3) << 22;
    t.d3[c] = v << 16;
  }
  return t;
}

constexpr DecodeTables kDecode = MakeDecodeTables();

inline uint32_t DecodeQuad(const uint8_t* p) {
  return kDecode.d0[p[0]] | kDecode.d1[p[1]] | kDecode.d2[p[2]] | kDecode.d3[p[3]];
}

Status<Base64Errc> LengthError(size_t n) {
  return Status<Base64Errc>(
      Base64Errc::kBadLength,
      "Base64 encoded length is expected a multiple of 4 bytes but found: " + std::to_string(n));
}

// Reports the first character at or after `p` that is not in the alphabet. A non-ASCII
// character is quoted as its whole UTF-8 sequence so the message stays valid UTF-8.
Status<Base64Errc> CharError(std::string_view in, const char* p) {
  const char* end = in.data() + in.size();
  while (p < end && kDecode.value[static_cast<uint8_t>(*p)] >= 0) ++p;
  size_t len = 0;
  if (p < end) {
    const auto lead = static_cast<uint8_t>(*p);
    len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    len = std::min<size_t>(len, static_cast<size_t>(end - p));
  }
  std::string msg = "Invalid Base64 character: '";
  msg.append(p, len);
  msg += '\'';
  return Status<Base64Errc>(Base64Errc::kBadCharacter, std::move(msg));
}

Status<Base64Errc> LastCharError() {
  return Status<Base64Errc>(Base64Errc::kBadLastCharacter,
                            "Invalid last non-pad Base64 character dectected");
}

// Decodes the final group: 4 characters with up to two '=' pads, or (unpadded) 2 or 3.
Result<size_t, Base64Errc> DecodeLastGroup(std::string_view in, const char* g, size_t len,
                                           char* out) {
  size_t data = len;
  if (len == 4 && g[3] == '=') data = g[2] == '=' ? 2 : 3;
  int v[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < data; ++i) {
    v[i] = kDecode.value[static_cast<uint8_t>(g[i])];
    if (v[i] < 0) return CharError(in, g + i);
  }
  out[0] = static_cast<char>(v[0] << 2 | v[1] >> 4);
  if (data == 2) {
    if (v[1] & 0xF) return LastCharError();
    return size_t{1};
  }
  out[1] = static_cast<char>((v[1] & 0xF) << 4 | v[2] >> 2);
  if (data == 3) {
    if (v[2] & 0x3) return LastCharError();
    return size_t{2};
  }
  out[2] = static_cast<char>((v[2] & 0x3) << 6 | v[3]);
  return size_t{3};
}

}  // namespace

char* Base64EncodeInto(std::string_view in, char* out) {
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  size_t n = in.size();
  // 8-byte loads, 6 bytes consumed: four 12-bit lookups produce 8 characters.
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    w = __builtin_bswap64(w);
    const uint64_t chars = uint64_t{kEncode.pair[(w >> 52) & 0xFFF]} |
                           uint64_t{kEncode.pair[(w >> 40) & 0xFFF]} << 16 |
                           uint64_t{kEncode.pair[(w >> 28) & 0xFFF]} << 32 |
                           uint64_t{kEncode.pair[(w >> 16) & 0xFFF]} << 48;
    std::memcpy(out, &chars, 8);
    p += 6;
    n -= 6;
    out += 8;
  }
  while (n >= 3) {
    const uint32_t w = uint32_t{p[0]} << 16 | uint32_t{p[1]} << 8 | p[2];
    const uint32_t chars = uint32_t{kEncode.pair[w >> 12]} | uint32_t{kEncode.pair[w & 0xFFF]} << 16;
    std::memcpy(out, &chars, 4);
    p += 3;
    n -= 3;
    out += 4;
  }
  if (n > 0) {
    const uint32_t w = uint32_t{p[0]} << 16 | (n == 2 ? uint32_t{p[1]} << 8 : 0);
    out[0] = kAlphabet[w >> 18];
    out[1] = kAlphabet[(w >> 12) & 63];
    out[2] = n == 2 ? kAlphabet[(w >> 6) & 63] : '=';
    out[3] = '=';
    out += 4;
  }
  return out;
}

void Base64EncodeTo(std::string_view in, std::string& out) {
  const size_t old = out.size();
  out.resize(old + Base64EncodedSize(in.size()));
  Base64EncodeInto(in, out.data() + old);
}

std::string Base64Encode(std::string_view in) {
  std::string out;
  Base64EncodeTo(in, out);
  return out;
}

Result<size_t, Base64Errc> Base64DecodeInto(std::string_view in, char* out,
                                            Base64Padding padding) {
  const size_t n = in.size();
  if (n == 0) return size_t{0};
  const size_t rem = n % 4;
  if (rem == 1 || (rem != 0 && (padding == Base64Padding::kRequired || in[n - 1] == '=')))
    return LengthError(n);

  // Every quad before the final group is full and unpadded. The final group writes at least one
  // byte, so each body quad may store a whole 4-byte word and advance by 3.
  const size_t body_quads = rem == 0 ? n / 4 - 1 : n / 4;
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  char* o = out;
  size_t q = 0;
  for (; q + 2 <= body_quads; q += 2, p += 8, o += 6) {
    const uint32_t x = DecodeQuad(p);
    const uint32_t y = DecodeQuad(p + 4);
    if ((x | y) & kBad) return CharError(in, reinterpret_cast<const char*>(p));
    std::memcpy(o, &x, 4);
    std::memcpy(o + 3, &y, 4);
  }
  if (q < body_quads) {
    const uint32_t x = DecodeQuad(p);
    if (x & kBad) return CharError(in, reinterpret_cast<const char*>(p));
    std::memcpy(o, &x, 4);
    p += 4;
    o += 3;
  }
  auto last = DecodeLastGroup(in, reinterpret_cast<const char*>(p), rem == 0 ? 4 : rem, o);
  if (!last.ok()) return std::move(last).status();
  return static_cast<size_t>(o - out) + *last;
}

Status<Base64Errc> Base64DecodeTo(std::string_view in, std::string& out, Base64Padding padding) {
  const size_t old = out.size();
  out.resize(old + Base64MaxDecodedSize(in.size()));
  auto r = Base64DecodeInto(in, out.data() + old, padding);
  if (!r.ok()) {
    out.resize(old);
    return std::move(r).status();
  }
  out.resize(old + *r);
  return Status<Base64Errc>::Ok();
}

}  // namespace shoal
