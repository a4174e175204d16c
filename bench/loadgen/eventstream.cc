#include "eventstream.h"

#include <boost/crc.hpp>

namespace shoal::loadgen {
namespace {

constexpr size_t kPrelude = 12;
constexpr size_t kMinMessage = kPrelude + 4;
constexpr uint32_t kMaxMessage = 16 << 20;  // AWS caps events far below this

uint32_t ReadU32(const char* p) {
  auto b = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

void AppendU32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

// Size of a fixed-width header value of `type`, or -1 for variable/unknown types.
int FixedValueSize(uint8_t type) {
  switch (type) {
    case 0: case 1: return 0;  // bool true / false
    case 2: return 1;          // byte
    case 3: return 2;          // short
    case 4: return 4;          // int
    case 5: case 8: return 8;  // long, timestamp
    case 9: return 16;         // uuid
    default: return -1;
  }
}

}  // namespace

std::string_view EventMessage::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

uint32_t Crc32(std::string_view data) {
  boost::crc_32_type c;  // zlib's CRC-32
  c.process_bytes(data.data(), data.size());
  return c.checksum();
}

std::string EncodeEventMessage(const std::vector<std::pair<std::string, std::string>>& headers,
                               std::string_view payload) {
  std::string h;
  for (const auto& [k, v] : headers) {
    h.push_back(static_cast<char>(k.size()));
    h += k;
    h.push_back(7);  // string
    h.push_back(static_cast<char>(v.size() >> 8));
    h.push_back(static_cast<char>(v.size()));
    h += v;
  }
  std::string out;
  AppendU32(out, static_cast<uint32_t>(kMinMessage + h.size() + payload.size()));
  AppendU32(out, static_cast<uint32_t>(h.size()));
  AppendU32(out, Crc32(out));
  out += h;
  out += payload;
  AppendU32(out, Crc32(out));
  return out;
}

bool EventStreamDecoder::Feed(std::string_view bytes) {
  if (failed()) return false;
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > (1 << 20)) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
  return true;
}

bool EventStreamDecoder::Next(EventMessage& out) {
  if (failed()) return false;
  std::string_view in(buf_.data() + pos_, buf_.size() - pos_);
  if (in.size() < kPrelude) return false;
  uint32_t total = ReadU32(in.data());
  uint32_t headers_len = ReadU32(in.data() + 4);
  if (Crc32(in.substr(0, 8)) != ReadU32(in.data() + 8)) {
    error_ = "prelude CRC mismatch";
    return false;
  }
  if (total < kMinMessage || total > kMaxMessage || headers_len > total - kMinMessage) {
    error_ = "bad message lengths";
    return false;
  }
  if (in.size() < total) return false;
  std::string_view frame = in.substr(0, total);
  if (Crc32(frame.substr(0, total - 4)) != ReadU32(frame.data() + total - 4)) {
    error_ = "message CRC mismatch";
    return false;
  }
  if (!Decode(frame, out)) return false;
  pos_ += total;
  return true;
}

bool EventStreamDecoder::Decode(std::string_view frame, EventMessage& out) {
  out.headers.clear();
  uint32_t headers_len = ReadU32(frame.data() + 4);
  std::string_view h = frame.substr(kPrelude, headers_len);
  while (!h.empty()) {
    auto name_len = static_cast<uint8_t>(h[0]);
    if (h.size() < 2u + name_len) break;
    std::string name(h.substr(1, name_len));
    auto type = static_cast<uint8_t>(h[1 + name_len]);
    h.remove_prefix(2u + name_len);
    if (int fixed = FixedValueSize(type); fixed >= 0) {
      if (h.size() < static_cast<size_t>(fixed)) break;
      h.remove_prefix(static_cast<size_t>(fixed));
      continue;
    }
    if (type != 6 && type != 7) break;  // unknown type: cannot skip it
    if (h.size() < 2) break;
    size_t len = (size_t{static_cast<uint8_t>(h[0])} << 8) | static_cast<uint8_t>(h[1]);
    if (h.size() < 2 + len) break;
    out.headers.emplace_back(std::move(name), std::string(h.substr(2, len)));
    h.remove_prefix(2 + len);
  }
  if (!h.empty()) {
    error_ = "malformed headers";
    return false;
  }
  out.payload.assign(frame.substr(kPrelude + headers_len, frame.size() - kPrelude - headers_len - 4));
  return true;
}

}  // namespace shoal::loadgen
