#pragma once
// The primitives of the catalog's binary encodings (docs/formats/meta-log.md): little-endian
// fixed-width integers, LEB128 varints, 16-byte little-endian uint128 and varint-length-
// prefixed strings. Decoding is strict and canonical: it accepts exactly what the Put*
// functions produce (no overlong varints), so decode-then-encode reproduces the input.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/uint128.h"

namespace shoal::meta {

void PutU8(std::string* dst, uint8_t v);
void PutFixed32(std::string* dst, uint32_t v);
void PutFixed64(std::string* dst, uint64_t v);
void PutVarint32(std::string* dst, uint32_t v);
void PutVarint64(std::string* dst, uint64_t v);
void PutU128(std::string* dst, uint128 v);
void PutString(std::string* dst, std::string_view s);  // varint32 length, then the bytes

// Reads the primitives back from a buffer it does not own (`input` must outlive it).
// The first failure is sticky: later reads return zero values and do not move; ok() turns
// false and error() names the field and the byte offset of the first failure.
class Decoder {
 public:
  explicit Decoder(std::string_view input) : input_(input) {}

  uint8_t U8(std::string_view field);
  uint32_t Fixed32(std::string_view field);
  uint64_t Fixed64(std::string_view field);
  uint32_t Varint32(std::string_view field);
  uint64_t Varint64(std::string_view field);
  uint128 U128(std::string_view field);
  std::string String(std::string_view field);
  // A byte that must be 0 (absent) or 1 (present).
  bool Presence(std::string_view field);
  // A byte-sized enum value; fails unless it is <= max.
  uint8_t Enum(std::string_view field, uint8_t max);
  // An element count; fails if it exceeds the bytes left (every element takes >= 1 byte), so
  // a damaged count can never cause a huge allocation or a long loop.
  uint32_t Count(std::string_view field);

  // Fails unless every byte has been consumed.
  void ExpectEnd();
  // Records a failure (the first one wins).
  void Fail(std::string_view field, std::string_view why);

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  size_t position() const { return pos_; }
  size_t remaining() const { return input_.size() - pos_; }

 private:
  // Returns the next `n` bytes, or fails (naming `field`) and returns an empty view.
  std::string_view Take(std::string_view field, size_t n);
  uint64_t Varint(std::string_view field, int max_bits);

  std::string_view input_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace shoal::meta
