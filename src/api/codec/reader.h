#pragma once
// Request-body readers. Both return a Value tree or a parse error whose message is suitable
// for a SerializationException (the caller adds the error type).

#include <string>
#include <string_view>

#include "api/codec/value.h"
#include "common/status.h"

namespace shoal::api {

enum class CodecErrc {
  kMalformed,  // not valid JSON/CBOR, trailing garbage, nesting too deep, ...
};

// Parses a JSON text. Numbers: integers that fit int64 become kInt, others kDouble.
// Strings are unescaped UTF-8. An empty body (or only whitespace) is an empty object, as
// the Smithy protocol tests require.
Result<Value, CodecErrc> ReadJson(std::string_view body);

// Parses one CBOR data item (definite and indefinite lengths, tags; tag 1 sets
// tagged_epoch() on the tagged item). Byte strings become kBytes, text strings kString,
// half/single/double floats kDouble, unsigned/negative ints kInt (values outside int64
// become kDouble). An empty body is an empty object.
Result<Value, CodecErrc> ReadCbor(std::string_view body);

}  // namespace shoal::api
