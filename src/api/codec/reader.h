#pragma once
// Request-body readers. Both return a Value tree or a parse error whose message is suitable
// for a SerializationException (the caller adds the error type).

#include <cstddef>
#include <string>
#include <string_view>

#include "api/codec/value.h"
#include "common/status.h"

namespace shoal::api {

enum class CodecErrc {
  kMalformed,  // not valid JSON/CBOR, trailing garbage, nesting too deep, ...
};

// Rules shared by both readers:
// - Objects and arrays may nest at most kMaxNestingDepth deep (the top-level container is
//   depth 1); deeper input is kMalformed. Kinesis requests nest four levels at most.
// - Duplicate object keys: the last value wins, at the position of the first occurrence, so
//   members() never holds a key twice (this matches Jackson, which AWS's frontend uses).
// - Any top-level value is returned; rejecting a non-object body is the caller's job.
// - Thread-safe: each thread uses its own parser state.
inline constexpr int kMaxNestingDepth = 64;

// Parses a JSON text (RFC 8259, UTF-8 validated). Numbers: integers that fit int64 become
// kInt; integers up to UINT64_MAX and all numbers with a fraction or exponent become kDouble;
// integers beyond 64 bits are kMalformed (simdjson 3.0.1 rejects them). Strings
// are unescaped UTF-8. An empty body (or only whitespace) is an empty object, as the Smithy
// protocol tests require. Copies `body` once into an internal padded buffer.
Result<Value, CodecErrc> ReadJson(std::string_view body);

// Bytes of readable memory that ReadJsonPadded needs after the end of the body.
inline constexpr size_t kJsonPadding = 64;

// Like ReadJson, but parses in place without the copy.
// REQUIRES: the kJsonPadding bytes after body.data() + body.size() are readable (their
// contents do not matter), e.g. a std::string whose capacity() >= size() + kJsonPadding.
Result<Value, CodecErrc> ReadJsonPadded(std::string_view body);

// Parses one CBOR data item (definite and indefinite lengths, tags; tag 1 sets
// tagged_epoch() on the tagged item). Byte strings become kBytes, text strings kString,
// half/single/double floats kDouble, unsigned/negative ints kInt (values outside int64
// become kDouble), null and undefined kNull. Text strings must be valid UTF-8, map keys
// must be text strings, and nothing may follow the item. Tags other than 1 are skipped.
// Other simple values (0..19, 24..31) are kMalformed. An empty body is an empty object.
Result<Value, CodecErrc> ReadCbor(std::string_view body);

}  // namespace shoal::api
