#pragma once
// Response-body writers. Service results are encoded once through this interface, and the
// concrete writer decides the wire form (JSON 1.1 or CBOR 1.1).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "api/codec/value.h"

namespace shoal::api {

// Misuse (a value in an object without a Key, EndArray closing an object, Finish with open
// containers, ...) is a programming error checked by assert(); any call sequence that forms a
// valid document produces valid output. Not thread-safe.
class Writer {
 public:
  virtual ~Writer() = default;
  virtual void BeginObject() = 0;
  virtual void EndObject() = 0;
  virtual void BeginArray() = 0;
  virtual void EndArray() = 0;
  // Object member name; the next call writes its value.
  virtual void Key(std::string_view key) = 0;
  virtual void String(std::string_view s) = 0;
  // Binary data: base64 text in JSON, a byte string in CBOR.
  virtual void Blob(std::string_view bytes) = 0;
  virtual void Int(int64_t i) = 0;
  virtual void Bool(bool b) = 0;
  // JSON null / CBOR simple value 22. Responses omit absent members instead; for WriteValue.
  virtual void Null() = 0;
  // A floating-point number: JSON shortest round-trip decimal (non-finite values become
  // null), CBOR a double (0xFB). Kinesis responses have no such member; for WriteValue.
  virtual void Double(double d) = 0;
  // An instant: JSON writes seconds as a plain decimal with up to 3 fraction digits and
  // trailing zeros dropped (1700000000123 -> 1700000000.123, 1700000000500 -> 1700000000.5,
  // 1700000000000 -> 1700000000, -1500 -> -1.5; never exponent form, never a string);
  // CBOR writes tag 1 (0xC1) + integer milliseconds, as the Java SDK expects.
  virtual void TimestampMs(int64_t epoch_ms) = 0;
  // Hint: the body will be about `bytes` long. Never required.
  virtual void Reserve(size_t bytes) = 0;
  // The encoded body; the writer must not be used afterwards.
  // REQUIRES: exactly one complete top-level value was written.
  virtual std::string Finish() = 0;
};

// Writes `value` (any kind; kBytes as Blob) through `w`. Useful for tests and echoing.
// A kInt with tagged_epoch() is written as TimestampMs, so CBOR input round-trips exactly.
void WriteValue(const Value& value, Writer& w);

// Compact JSON (no whitespace); Double(1.0) is written "1.0" so it reads back as a double.
std::unique_ptr<Writer> NewJsonWriter();
// CBOR: maps and arrays with at most 23 entries are written with definite length (so the
// error body is byte-identical to AWS's), longer ones as indefinite (0xBF/0x9F ... 0xFF);
// integers and lengths in shortest form.
std::unique_ptr<Writer> NewCborWriter();
inline std::unique_ptr<Writer> NewWriter(Format f) {
  return f == Format::kJson ? NewJsonWriter() : NewCborWriter();
}

}  // namespace shoal::api
