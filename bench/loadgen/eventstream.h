#pragma once
// application/vnd.amazon.eventstream framing, as used by SubscribeToShard responses.
//
// A message is: prelude (total length u32 BE, headers length u32 BE, CRC32 of those 8 bytes),
// headers, payload, message CRC32 (of everything before it). CRC32 is zlib's (IEEE 802.3,
// reflected, polynomial 0xEDB88320), not CRC32C. A header is: name length u8, name, value type
// u8, value (bool true/false: none; byte 1; short 2; int 4; long 8; bytes/string: u16 BE length
// + bytes; timestamp 8; uuid 16). Only string and bytes values are kept (as text); the others
// are skipped.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shoal::loadgen {

struct EventMessage {
  std::vector<std::pair<std::string, std::string>> headers;  // string/bytes headers only
  std::string payload;

  // The value of header `name`, or "" when absent.
  std::string_view Header(std::string_view name) const;
};

// zlib-compatible CRC32 of `data`.
uint32_t Crc32(std::string_view data);

// Encodes one message with string headers (used by tests, and to document the format).
std::string EncodeEventMessage(const std::vector<std::pair<std::string, std::string>>& headers,
                               std::string_view payload);

// Incremental decoder: feed it bytes as they arrive, take complete messages out.
class EventStreamDecoder {
 public:
  // Appends bytes. Returns false (and stays failed) on a framing or CRC error.
  bool Feed(std::string_view bytes);
  // Moves the next complete message into `out`; false when none is complete yet.
  bool Next(EventMessage& out);
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  bool Decode(std::string_view frame, EventMessage& out);

  std::string buf_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace shoal::loadgen
