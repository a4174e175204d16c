#include "api/codec/event_stream.h"

#include <zlib.h>

#include <cassert>

namespace shoal::api {
namespace {

constexpr uint8_t kStringType = 7;
constexpr size_t kPreludeBytes = 12;
constexpr size_t kMinMessage = 16;

uint32_t Crc32(std::string_view bytes, uint32_t crc = 0) {
  return static_cast<uint32_t>(
      crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

void PutU32(uint32_t v, std::string* out) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  out->append(b, 4);
}

void PutU16(uint16_t v, std::string* out) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v));
}

uint32_t GetU32(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} << 24 | uint32_t{u[1]} << 16 | uint32_t{u[2]} << 8 | uint32_t{u[3]};
}

uint16_t GetU16(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>(u[0] << 8 | u[1]);
}

// Byte sizes of the value of each header type; -1: variable (u16 length first); -2: unknown.
int FixedValueBytes(uint8_t type) {
  switch (type) {
    case 0: case 1: return 0;
    case 2: return 1;
    case 3: return 2;
    case 4: return 4;
    case 5: case 8: return 8;
    case 6: case 7: return -1;
    case 9: return 16;
    default: return -2;
  }
}

}  // namespace

void EncodeEventMessage(const EventHeaders& headers, std::string_view payload, std::string* out) {
  size_t headers_bytes = 0;
  for (const auto& [name, value] : headers) headers_bytes += 1 + name.size() + 1 + 2 + value.size();
  const size_t total = kPreludeBytes + headers_bytes + payload.size() + 4;
  const size_t start = out->size();
  out->reserve(start + total);
  PutU32(static_cast<uint32_t>(total), out);
  PutU32(static_cast<uint32_t>(headers_bytes), out);
  PutU32(Crc32(std::string_view(*out).substr(start, 8)), out);
  for (const auto& [name, value] : headers) {
    assert(!name.empty() && name.size() <= 255 && value.size() <= 32767);
    out->push_back(static_cast<char>(name.size()));
    out->append(name);
    out->push_back(static_cast<char>(kStringType));
    PutU16(static_cast<uint16_t>(value.size()), out);
    out->append(value);
  }
  out->append(payload);
  PutU32(Crc32(std::string_view(*out).substr(start)), out);
}

std::string EncodeEvent(std::string_view event_type, std::string_view content_type,
                        std::string_view payload) {
  std::string out;
  EncodeEventMessage({{":event-type", std::string(event_type)},
                      {":content-type", std::string(content_type)},
                      {":message-type", "event"}},
                     payload, &out);
  return out;
}

std::string EncodeException(std::string_view exception_type, std::string_view json_payload) {
  std::string out;
  EncodeEventMessage({{":exception-type", std::string(exception_type)},
                      {":content-type", "application/json"},
                      {":message-type", "exception"}},
                     json_payload, &out);
  return out;
}

std::optional<std::pair<EventMessage, size_t>> DecodeEventMessage(std::string_view bytes) {
  if (bytes.size() < kMinMessage) return std::nullopt;
  const uint32_t total = GetU32(bytes.data());
  const uint32_t headers_bytes = GetU32(bytes.data() + 4);
  if (total < kMinMessage || total > bytes.size() || headers_bytes > total - kMinMessage) {
    return std::nullopt;
  }
  if (Crc32(bytes.substr(0, 8)) != GetU32(bytes.data() + 8)) return std::nullopt;
  if (Crc32(bytes.substr(0, total - 4)) != GetU32(bytes.data() + total - 4)) return std::nullopt;
  EventMessage msg;
  std::string_view h = bytes.substr(kPreludeBytes, headers_bytes);
  while (!h.empty()) {
    const size_t name_len = static_cast<uint8_t>(h[0]);
    if (name_len == 0 || h.size() < 1 + name_len + 1) return std::nullopt;
    std::string name(h.substr(1, name_len));
    const uint8_t type = static_cast<uint8_t>(h[1 + name_len]);
    h.remove_prefix(2 + name_len);
    int fixed = FixedValueBytes(type);
    if (fixed == -2) return std::nullopt;
    size_t len = static_cast<size_t>(fixed);
    if (fixed == -1) {
      if (h.size() < 2) return std::nullopt;
      len = GetU16(h.data());
      h.remove_prefix(2);
    }
    if (h.size() < len) return std::nullopt;
    msg.headers.emplace_back(std::move(name), std::string(h.substr(0, len)));
    h.remove_prefix(len);
  }
  msg.payload = std::string(bytes.substr(kPreludeBytes + headers_bytes,
                                         total - kPreludeBytes - headers_bytes - 4));
  return std::make_pair(std::move(msg), size_t{total});
}

}  // namespace shoal::api
