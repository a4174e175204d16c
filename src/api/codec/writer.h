#pragma once
// Response-body writers. Service results are encoded once through this interface, and the
// concrete writer decides the wire form (JSON 1.1 or CBOR 1.1).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "api/codec/value.h"

namespace shoal::api {

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
  // An instant: JSON writes seconds as a plain decimal with up to 3 fraction digits
  // (1700000000.123, never exponent form); CBOR writes tag 1 + integer milliseconds.
  virtual void TimestampMs(int64_t epoch_ms) = 0;
  // The encoded body; the writer must not be used afterwards.
  virtual std::string Finish() = 0;
};

// Writes `value` (any kind; kBytes as Blob) through `w`. Useful for tests and echoing.
void WriteValue(const Value& value, Writer& w);

std::unique_ptr<Writer> NewJsonWriter();
std::unique_ptr<Writer> NewCborWriter();
inline std::unique_ptr<Writer> NewWriter(Format f) {
  return f == Format::kJson ? NewJsonWriter() : NewCborWriter();
}

}  // namespace shoal::api
