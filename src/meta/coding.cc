#include "meta/coding.h"

namespace shoal::meta {

void PutU8(std::string* dst, uint8_t v) { dst->push_back(static_cast<char>(v)); }

void PutFixed32(std::string* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) PutU8(dst, static_cast<uint8_t>(v >> (8 * i)));
}

void PutFixed64(std::string* dst, uint64_t v) {
  for (int i = 0; i < 8; ++i) PutU8(dst, static_cast<uint8_t>(v >> (8 * i)));
}

void PutVarint64(std::string* dst, uint64_t v) {
  while (v >= 0x80) {
    PutU8(dst, static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  PutU8(dst, static_cast<uint8_t>(v));
}

void PutVarint32(std::string* dst, uint32_t v) { PutVarint64(dst, v); }

void PutU128(std::string* dst, uint128 v) {
  PutFixed64(dst, static_cast<uint64_t>(v));
  PutFixed64(dst, static_cast<uint64_t>(v >> 64));
}

void PutString(std::string* dst, std::string_view s) {
  PutVarint32(dst, static_cast<uint32_t>(s.size()));
  dst->append(s);
}

void Decoder::Fail(std::string_view field, std::string_view why) {
  if (!ok()) return;
  error_.append(field).append(": ").append(why).append(" at byte ").append(std::to_string(pos_));
}

std::string_view Decoder::Take(std::string_view field, size_t n) {
  if (!ok()) return {};
  if (n > remaining()) {
    Fail(field, "truncated (needs " + std::to_string(n) + " bytes, " + std::to_string(remaining()) +
                    " left)");
    return {};
  }
  std::string_view out = input_.substr(pos_, n);
  pos_ += n;
  return out;
}

uint8_t Decoder::U8(std::string_view field) {
  std::string_view b = Take(field, 1);
  return b.empty() ? 0 : static_cast<uint8_t>(b[0]);
}

uint32_t Decoder::Fixed32(std::string_view field) {
  std::string_view b = Take(field, 4);
  uint32_t v = 0;
  for (size_t i = 0; i < b.size(); ++i) v |= uint32_t{static_cast<uint8_t>(b[i])} << (8 * i);
  return v;
}

uint64_t Decoder::Fixed64(std::string_view field) {
  std::string_view b = Take(field, 8);
  uint64_t v = 0;
  for (size_t i = 0; i < b.size(); ++i) v |= uint64_t{static_cast<uint8_t>(b[i])} << (8 * i);
  return v;
}

// LEB128 with at most ceil(max_bits / 7) bytes, no bits above max_bits, and no overlong form
// (a final byte of zero after the first), so every value has exactly one encoding.
uint64_t Decoder::Varint(std::string_view field, int max_bits) {
  uint64_t v = 0;
  for (int shift = 0; ok(); shift += 7) {
    if (shift >= max_bits) {
      Fail(field, "varint too long");
      break;
    }
    uint8_t byte = U8(field);
    if (!ok()) break;
    uint64_t bits = byte & 0x7f;
    if (max_bits - shift < 7 && (bits >> (max_bits - shift)) != 0) {
      Fail(field, "varint overflows " + std::to_string(max_bits) + " bits");
      break;
    }
    v |= bits << shift;
    if ((byte & 0x80) == 0) {
      if (byte == 0 && shift > 0) Fail(field, "overlong varint");
      return ok() ? v : 0;
    }
  }
  return 0;
}

uint32_t Decoder::Varint32(std::string_view field) {
  return static_cast<uint32_t>(Varint(field, 32));
}

uint64_t Decoder::Varint64(std::string_view field) { return Varint(field, 64); }

uint128 Decoder::U128(std::string_view field) {
  uint64_t low = Fixed64(field);
  uint64_t high = Fixed64(field);
  return (static_cast<uint128>(high) << 64) | low;
}

std::string Decoder::String(std::string_view field) {
  uint32_t n = Varint32(field);
  return std::string(Take(field, n));
}

bool Decoder::Presence(std::string_view field) {
  uint8_t b = U8(field);
  if (b > 1) Fail(field, "presence byte " + std::to_string(b) + " is neither 0 nor 1");
  return ok() && b == 1;
}

uint8_t Decoder::Enum(std::string_view field, uint8_t max) {
  uint8_t b = U8(field);
  if (b > max) Fail(field, "unknown value " + std::to_string(b));
  return ok() ? b : 0;
}

uint32_t Decoder::Count(std::string_view field) {
  uint32_t n = Varint32(field);
  if (n > remaining()) {
    Fail(field, "count " + std::to_string(n) + " exceeds the " + std::to_string(remaining()) +
                    " bytes left");
  }
  return ok() ? n : 0;
}

void Decoder::ExpectEnd() {
  if (ok() && remaining() > 0) Fail("end", std::to_string(remaining()) + " trailing bytes");
}

}  // namespace shoal::meta
