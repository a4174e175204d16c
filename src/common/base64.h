#pragma once
// Standard base64 (RFC 4648 §4: alphabet A-Z a-z 0-9 + /, '=' padding), as Kinesis uses for
// blobs in JSON bodies. Both directions are table-driven; neither allocates more than once.
//
// Decoding is strict about the alphabet and about canonical form: whitespace, URL-safe
// characters, '=' anywhere but at the end and non-zero unused bits in the last character
// are errors. Missing padding is accepted by default (Base64Padding::kOptional), as the wire
// brief recommends; kRequired reproduces the AWS length check exactly. Error messages are the
// texts AWS returns after "'<value>' can not be converted to a Blob: ", so the API layer can
// build a SerializationException from them directly.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace shoal {

enum class Base64Errc : uint8_t {
  kBadLength,         // "Base64 encoded length is expected a multiple of 4 bytes but found: <n>"
  kBadCharacter,      // "Invalid Base64 character: '<c>'"
  kBadLastCharacter,  // "Invalid last non-pad Base64 character dectected" [sic, as AWS spells it]:
                      // the last character before the padding has non-zero unused bits
};

enum class Base64Padding : uint8_t {
  kRequired,  // the encoded length must be a multiple of 4
  kOptional,  // "QQ" and "QQ==" both decode to "A"; a length of 4k+1 is still an error
};

// Encoded length of n input bytes (always padded).
constexpr size_t Base64EncodedSize(size_t n) { return (n + 2) / 3 * 4; }

// Upper bound on the decoded length of an n-character input.
constexpr size_t Base64MaxDecodedSize(size_t n) {
  return n / 4 * 3 + (n % 4 >= 2 ? n % 4 - 1 : 0);
}

// Writes the padded encoding of `in` to `out` and returns the end of what was written.
// REQUIRES: out has room for Base64EncodedSize(in.size()) chars. No terminating NUL.
char* Base64EncodeInto(std::string_view in, char* out);

// Appends the padded encoding of `in` to `out`.
void Base64EncodeTo(std::string_view in, std::string& out);

std::string Base64Encode(std::string_view in);

// Decodes `in` into `out` and returns the number of bytes written.
// REQUIRES: out has room for Base64MaxDecodedSize(in.size()) bytes. On error the contents of
// out are unspecified. The empty string decodes to zero bytes.
Result<size_t, Base64Errc> Base64DecodeInto(std::string_view in, char* out,
                                            Base64Padding padding = Base64Padding::kOptional);

// Appends the decoding of `in` to `out`. On error `out` is left as it was.
Status<Base64Errc> Base64DecodeTo(std::string_view in, std::string& out,
                                  Base64Padding padding = Base64Padding::kOptional);

}  // namespace shoal
