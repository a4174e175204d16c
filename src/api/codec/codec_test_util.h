#pragma once
// Helpers shared by the codec tests: hex conversion, Value equality, random Value trees.

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "api/codec/value.h"
#include "api/codec/writer.h"

namespace shoal::api::testing {

// "a1 61 61 01" -> bytes; whitespace is ignored.
inline std::string Unhex(std::string_view hex) {
  std::string out;
  int hi = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      continue;
    }
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<char>(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}

inline std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out.push_back(kDigits[static_cast<uint8_t>(c) >> 4]);
    out.push_back(kDigits[static_cast<uint8_t>(c) & 0xF]);
  }
  return out;
}

// Structural equality, including kind and tagged_epoch; doubles compare with ==.
inline bool ValueEq(const Value& a, const Value& b) {
  if (a.kind() != b.kind() || a.tagged_epoch() != b.tagged_epoch()) return false;
  switch (a.kind()) {
    case Value::Kind::kNull:
      return true;
    case Value::Kind::kBool:
      return a.as_bool() == b.as_bool();
    case Value::Kind::kInt:
      return a.as_int() == b.as_int();
    case Value::Kind::kDouble:
      return a.as_double() == b.as_double();
    case Value::Kind::kString:
    case Value::Kind::kBytes:
      return a.as_string() == b.as_string();
    case Value::Kind::kArray:
      if (a.items().size() != b.items().size()) return false;
      for (size_t i = 0; i < a.items().size(); ++i)
        if (!ValueEq(a.items()[i], b.items()[i])) return false;
      return true;
    case Value::Kind::kObject:
      if (a.members().size() != b.members().size()) return false;
      for (size_t i = 0; i < a.members().size(); ++i) {
        if (a.members()[i].first != b.members()[i].first) return false;
        if (!ValueEq(a.members()[i].second, b.members()[i].second)) return false;
      }
      return true;
  }
  return false;
}

// JSON text of v, for failure messages.
inline std::string Dump(const Value& v) {
  auto w = NewJsonWriter();
  WriteValue(v, *w);
  return w->Finish();
}

// Random Value trees. JSON mode produces only what survives a JSON round trip (no bytes,
// no tags, integral doubles written as such are fine since the writer keeps ".0").
class RandomValues {
 public:
  RandomValues(uint32_t seed, Format format) : rng_(seed), format_(format) {}

  Value Next(int depth = 0) {
    const int kinds = depth >= 4 ? 6 : 8;
    switch (Uniform(kinds)) {
      case 0:
        return Value::Null();
      case 1:
        return Value::Bool(Uniform(2) == 1);
      case 2: {
        Value v = Value::Int(RandomInt());
        if (format_ == Format::kCbor && Uniform(4) == 0) v.set_tagged_epoch(true);
        return v;
      }
      case 3:
        return Value::Double(RandomDouble());
      case 4:
        return Value::String(RandomText());
      case 5:
        if (format_ == Format::kCbor) return Value::Bytes(RandomBytes());
        return Value::String(RandomText());
      case 6: {
        Value v = Value::Array();
        for (int i = Uniform(30) == 0 ? 40 : Uniform(5); i > 0; --i)
          v.mutable_items().push_back(Next(depth + 1));
        return v;
      }
      default: {
        Value v = Value::Object();
        const int n = Uniform(30) == 0 ? 40 : Uniform(5);
        for (int i = 0; i < n; ++i)  // unique keys: readers collapse duplicates
          v.mutable_members().emplace_back(RandomText() + "#" + std::to_string(i), Next(depth + 1));
        return v;
      }
    }
  }

 private:
  int Uniform(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }

  int64_t RandomInt() {
    switch (Uniform(6)) {
      case 0:
        return INT64_MIN;
      case 1:
        return INT64_MAX;
      case 2:
        return Uniform(50) - 25;
      case 3:
        return static_cast<int64_t>(rng_()) - (int64_t{1} << 31);
      case 4:
        return 1700000000000 + Uniform(1000000);
      default:
        return static_cast<int64_t>(uint64_t{rng_()} << 32 | rng_());
    }
  }

  double RandomDouble() {
    switch (Uniform(4)) {
      case 0:
        return Uniform(1000) / 8.0 + 0.5;
      case 1:
        return -1.0 / (1 + Uniform(1000));
      case 2:
        return 1e300 * (Uniform(10) + 1);
      default:
        return 1704164645.678;
    }
  }

  std::string RandomText() {
    static const char* const kPieces[] = {"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t",
                                          "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac",
                                          "\xf0\x9f\x98\x80", "StreamName", ""};
    std::string s;
    for (int i = Uniform(8); i > 0; --i) s += kPieces[Uniform(static_cast<int>(std::size(kPieces)))];
    return s;
  }

  std::string RandomBytes() {
    std::string s(static_cast<size_t>(Uniform(3) == 0 ? Uniform(300) : Uniform(10)), '\0');
    for (auto& c : s) c = static_cast<char>(rng_());
    return s;
  }

  std::mt19937 rng_;
  Format format_;
};

}  // namespace shoal::api::testing
