// ReadCbor: a hand-written recursive-descent decoder for RFC 8949 data items.
//
// libcbor 0.8's streaming decoder was not used: it rejects tags 6..20 as "unassigned" (we
// must skip unknown tags) and its callbacks cannot stop decoding at the first error. This
// decoder checks every length against the bytes that remain before using it, bounds
// recursion by kMaxNestingDepth (tag chains are a loop), and never reserves memory
// proportional to an unverified count.

#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "api/codec/dedupe_keys.h"
#include "api/codec/reader.h"

namespace shoal::api {
namespace {

constexpr uint8_t kMajorUint = 0, kMajorNegInt = 1, kMajorBytes = 2, kMajorText = 3,
                  kMajorArray = 4, kMajorMap = 5, kMajorTag = 6, kMajorSimple = 7;
constexpr uint8_t kIndefinite = 31;
constexpr uint8_t kBreak = 0xFF;
// Largest count we pre-reserve for a definite array; longer arrays grow as they are read.
constexpr uint64_t kMaxReserve = 512;

// The initial byte of an item and its argument (additional info 24..27 already read).
struct Head {
  uint8_t major = 0;
  uint8_t info = 0;  // 0..27 or kIndefinite
  uint64_t arg = 0;  // value, length, count, tag number, simple value or float bits
};

double DecodeHalf(uint16_t half) {
  const int exp = (half >> 10) & 0x1F;
  const int mant = half & 0x3FF;
  double v;
  if (exp == 0) {
    v = std::ldexp(mant, -24);
  } else if (exp != 31) {
    v = std::ldexp(mant + 1024, exp - 25);
  } else {
    v = mant == 0 ? std::numeric_limits<double>::infinity()
                  : std::numeric_limits<double>::quiet_NaN();
  }
  return (half & 0x8000) ? -v : v;
}

class CborParser {
 public:
  explicit CborParser(std::string_view in)
      : begin_(reinterpret_cast<const uint8_t*>(in.data())), p_(begin_), end_(p_ + in.size()) {}

  Result<Value, CodecErrc> ParseDocument() {
    Value v;
    if (ParseItem(0, &v) && p_ != end_) Fail("trailing bytes after the data item");
    if (error_ != nullptr) {
      return Result<Value, CodecErrc>(
          CodecErrc::kMalformed, std::string("Malformed CBOR: ") + error_ + " at offset " +
                                     std::to_string(error_offset_));
    }
    return v;
  }

 private:
  size_t Remaining() const { return static_cast<size_t>(end_ - p_); }

  bool Fail(const char* message) {
    if (error_ == nullptr) {
      error_ = message;
      error_offset_ = static_cast<size_t>(p_ - begin_);
    }
    return false;
  }

  bool Truncated() { return Fail("unexpected end of input"); }

  bool ReadHead(Head* h) {
    if (p_ == end_) return Truncated();
    const uint8_t b = *p_++;
    h->major = b >> 5;
    h->info = b & 0x1F;
    h->arg = h->info;
    if (h->info < 24 || h->info == kIndefinite) return true;
    if (h->info > 27) return Fail("reserved additional information");
    const size_t n = size_t{1} << (h->info - 24);
    if (Remaining() < n) return Truncated();
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = v << 8 | p_[i];
    p_ += n;
    h->arg = v;
    return true;
  }

  // Reads an item: any number of tags, then the tagged item. Tag 1 marks the result.
  bool ParseItem(int depth, Value* out) {
    Head h;
    if (!ReadHead(&h)) return false;
    bool epoch = false;
    while (h.major == kMajorTag) {
      if (h.info == kIndefinite) return Fail("invalid tag encoding");
      if (h.arg == 1) epoch = true;
      if (!ReadHead(&h)) return false;
    }
    if (!ParseUntagged(h, depth, out)) return false;
    if (epoch) out->set_tagged_epoch(true);
    return true;
  }

  bool ParseUntagged(const Head& h, int depth, Value* out) {
    if (h.info == kIndefinite && (h.major == kMajorUint || h.major == kMajorNegInt))
      return Fail("invalid integer encoding");
    switch (h.major) {
      case kMajorUint:
        *out = h.arg <= INT64_MAX ? Value::Int(static_cast<int64_t>(h.arg))
                                  : Value::Double(static_cast<double>(h.arg));
        return true;
      case kMajorNegInt:  // -1 - arg
        *out = h.arg <= INT64_MAX ? Value::Int(-1 - static_cast<int64_t>(h.arg))
                                  : Value::Double(-1.0 - static_cast<double>(h.arg));
        return true;
      case kMajorBytes:
        *out = Value::Bytes(std::string());
        return ReadString(h, &out->mutable_string());
      case kMajorText:
        *out = Value::String(std::string());
        return ReadText(h, &out->mutable_string());
      case kMajorArray:
        return ParseArray(h, depth + 1, out);
      case kMajorMap:
        return ParseMap(h, depth + 1, out);
      default:
        return ParseSimple(h, out);
    }
  }

  // A byte or text string of major type h.major, definite or chunked.
  bool ReadString(const Head& h, std::string* s) {
    if (h.info != kIndefinite) {
      if (h.arg > Remaining()) return Truncated();
      s->assign(reinterpret_cast<const char*>(p_), h.arg);
      p_ += h.arg;
      return true;
    }
    for (;;) {
      if (p_ == end_) return Truncated();
      if (*p_ == kBreak) {
        ++p_;
        return true;
      }
      Head chunk;
      if (!ReadHead(&chunk)) return false;
      if (chunk.major != h.major || chunk.info == kIndefinite)
        return Fail("invalid chunk in an indefinite-length string");
      if (chunk.arg > Remaining()) return Truncated();
      s->append(reinterpret_cast<const char*>(p_), chunk.arg);
      p_ += chunk.arg;
    }
  }

  bool ReadText(const Head& h, std::string* s) {
    if (!ReadString(h, s)) return false;
    if (!simdjson::validate_utf8(*s)) return Fail("text string is not valid UTF-8");
    return true;
  }

  // True (and consumes it) when the next byte is a break; an indefinite container ends there.
  bool AtBreak() {
    if (p_ != end_ && *p_ == kBreak) {
      ++p_;
      return true;
    }
    return false;
  }

  // `depth` counts this container.
  bool ParseArray(const Head& h, int depth, Value* out) {
    if (depth > kMaxNestingDepth) return Fail("nesting too deep");
    *out = Value::Array();
    auto& items = out->mutable_items();
    const bool indefinite = h.info == kIndefinite;
    if (!indefinite) {
      if (h.arg > Remaining()) return Truncated();  // every item takes at least one byte
      items.reserve(std::min(h.arg, kMaxReserve));
    }
    for (uint64_t i = 0; indefinite || i < h.arg; ++i) {
      if (indefinite && AtBreak()) break;
      items.emplace_back();
      if (!ParseItem(depth, &items.back())) return false;
    }
    return true;
  }

  bool ParseMap(const Head& h, int depth, Value* out) {
    if (depth > kMaxNestingDepth) return Fail("nesting too deep");
    *out = Value::Object();
    auto& members = out->mutable_members();
    const bool indefinite = h.info == kIndefinite;
    if (!indefinite && h.arg > Remaining() / 2) return Truncated();  // two bytes per pair
    for (uint64_t i = 0; indefinite || i < h.arg; ++i) {
      if (indefinite && AtBreak()) break;
      Head key;
      if (!ReadHead(&key)) return false;
      if (key.major != kMajorText) return Fail("map key is not a text string");
      members.emplace_back();
      if (!ReadText(key, &members.back().first)) return false;
      if (!ParseItem(depth, &members.back().second)) return false;
    }
    DedupeKeys(members);
    return true;
  }

  bool ParseSimple(const Head& h, Value* out) {
    switch (h.info) {
      case 20:
        *out = Value::Bool(false);
        return true;
      case 21:
        *out = Value::Bool(true);
        return true;
      case 22:  // null
      case 23:  // undefined
        *out = Value::Null();
        return true;
      case 25:
        *out = Value::Double(DecodeHalf(static_cast<uint16_t>(h.arg)));
        return true;
      case 26:
        *out = Value::Double(std::bit_cast<float>(static_cast<uint32_t>(h.arg)));
        return true;
      case 27:
        *out = Value::Double(std::bit_cast<double>(h.arg));
        return true;
      case kIndefinite:
        return Fail("unexpected break");
      default:
        return Fail("unsupported simple value");
    }
  }

  const uint8_t* const begin_;
  const uint8_t* p_;
  const uint8_t* const end_;
  const char* error_ = nullptr;  // first failure, static text
  size_t error_offset_ = 0;
};

}  // namespace

Result<Value, CodecErrc> ReadCbor(std::string_view body) {
  if (body.empty()) return Value::Object();
  return CborParser(body).ParseDocument();
}

}  // namespace shoal::api
