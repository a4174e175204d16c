#pragma once
// application/vnd.amazon.eventstream messages (wire-protocol.md §4.4): the framing of
// SubscribeToShard's response body. Big-endian prelude (total length, headers length, CRC32 of
// those 8 bytes), headers, payload, CRC32 of everything before it. CRC32 is zlib's
// (ISO-HDLC), not the CRC32C used by the logs. Only string-valued headers are written, as the
// Java SDK reads every header as a string.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shoal::api {

using EventHeaders = std::vector<std::pair<std::string, std::string>>;

struct EventMessage {
  EventHeaders headers;  // in wire order
  std::string payload;
};

// Appends one message to `out`. REQUIRES: header names 1..255 bytes, values ≤ 32767 bytes.
void EncodeEventMessage(const EventHeaders& headers, std::string_view payload, std::string* out);

// `:message-type: event` with `:event-type` and `:content-type` (Kinesis's order).
std::string EncodeEvent(std::string_view event_type, std::string_view content_type,
                        std::string_view payload);
// `:message-type: exception` with `:exception-type`; payload {"message": ...} in JSON.
std::string EncodeException(std::string_view exception_type, std::string_view json_payload);

// Decodes the first message of `bytes` (for tests and tools): the message and the bytes it
// took, or nullopt when `bytes` holds no complete, valid message (bad CRCs, lengths or
// header types).
std::optional<std::pair<EventMessage, size_t>> DecodeEventMessage(std::string_view bytes);

}  // namespace shoal::api
