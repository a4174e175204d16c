#include "api/validate.h"

#include <fmt/format.h>

#include <cmath>

#include "common/base64.h"

namespace shoal::api {
namespace {

using T = Shape::Type;
using K = Value::Kind;

constexpr size_t kMaxListedViolations = 10;

// The wire name's lower-camel form used in AWS's paths ("StreamName" → "streamName").
std::string PathName(const std::string& name) {
  std::string out = name;
  if (!out.empty()) out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

// String lengths count UTF-16 code units, as the Java frontend does: one per code point
// below U+10000, two above (a 4-byte UTF-8 sequence).
int64_t Utf16Length(std::string_view s) {
  int64_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) n += 1;  // each lead byte starts a code point
    if (c >= 0xF0) n += 1;           // a 4-byte sequence is a surrogate pair
  }
  return n;
}

std::string Join(const std::string& path, const std::string& name) {
  return path.empty() ? name : path + "." + name;
}

// How Java's toString prints a value inside "Value '...'".
std::string Render(const Value& v, const Shape& shape) {
  switch (v.kind()) {
    case K::kNull: return "null";
    case K::kBool: return v.as_bool() ? "true" : "false";
    case K::kInt: return std::to_string(v.as_int());
    case K::kDouble: return fmt::format("{}", v.as_double());
    case K::kString:
      if (shape.type == T::kBlob) break;
      return v.as_string();
    case K::kBytes: break;
    case K::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < v.items().size(); ++i) {
        if (i) out += ", ";
        out += shape.member ? Render(v.items()[i], *shape.member) : "?";
      }
      return out + "]";
    }
    case K::kObject: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, mv] : v.members()) {
        if (!first) out += ", ";
        first = false;
        out += k + "=" + (shape.member ? Render(mv, *shape.member) : "?");
      }
      return out + "}";
    }
  }
  // A blob prints as the ByteBuffer holding it.
  size_t n = v.as_string().size();
  return fmt::format("java.nio.HeapByteBuffer[pos=0 lim={} cap={}]", n, n);
}

class Checker {
 public:
  Checker() = default;

  // Type pass: returns the SerializationException message for the first mismatch.
  // Blobs given as base64 text are decoded here, once: they leave this pass as kBytes.
  std::optional<std::string> CheckTypes(Value& v, const Shape& s) const;
  // Constraint pass over a value that passed CheckTypes.
  void CheckConstraints(const Value& v, const Shape& s, const std::string& path);

  const std::vector<std::string>& violations() const { return violations_; }

 private:
  void Violation(const Value& v, const Shape& s, const std::string& path,
                 const std::string& constraint) {
    std::string shown = v.is_null() ? "Value null" : "Value '" + Render(v, s) + "'";
    violations_.push_back(fmt::format("{} at '{}' failed to satisfy constraint: {}", shown, path,
                                      constraint));
  }
  void CheckLength(const Value& v, const Shape& s, const std::string& path, int64_t len);
  void CheckStructure(const Value& v, const Shape& s, const std::string& path);

  std::vector<std::string> violations_;
};

std::optional<std::string> Checker::CheckTypes(Value& v, const Shape& s) const {
  if (v.is_null()) return std::nullopt;
  auto scalar_mismatch = [&](const char* target) -> std::optional<std::string> {
    switch (v.kind()) {
      case K::kArray: return "Start of list found where not expected";
      case K::kObject: return "Start of structure or map found where not expected.";
      case K::kBool: return fmt::format("{}_VALUE can not be converted to {}",
                                        v.as_bool() ? "TRUE" : "FALSE", target);
      case K::kInt: case K::kDouble: return fmt::format("NUMBER_VALUE can not be converted to {}", target);
      default: return fmt::format("STRING_VALUE can not be converted to {}", target);
    }
  };
  switch (s.type) {
    case T::kString:
      if (v.kind() != K::kString) return scalar_mismatch("a String");
      return std::nullopt;
    case T::kInteger:
    case T::kLong: {
      const char* target = s.type == T::kInteger ? "an Integer" : "a Long";
      if (v.kind() == K::kInt) return std::nullopt;
      if (v.kind() == K::kDouble && std::floor(v.as_double()) == v.as_double() &&
          std::fabs(v.as_double()) < 9.2e18)
        return std::nullopt;
      return scalar_mismatch(target);
    }
    case T::kBoolean:
      if (v.kind() != K::kBool) return scalar_mismatch("a Boolean");
      return std::nullopt;
    case T::kTimestamp:
      if (v.is_number()) return std::nullopt;
      if (v.kind() == K::kString)
        return "class java.lang.String can not be converted to milliseconds since epoch";
      return scalar_mismatch("milliseconds since epoch");
    case T::kBlob:
      if (v.kind() == K::kBytes) return std::nullopt;
      if (v.kind() != K::kString) return scalar_mismatch("a Blob");
      {
        std::string bytes;
        if (auto err = Base64DecodeTo(v.as_string(), bytes); !err.ok())
          return fmt::format("'{}' can not be converted to a Blob: {}", v.as_string(),
                             err.message());
        v = Value::Bytes(std::move(bytes));
      }
      return std::nullopt;
    case T::kList:
      if (v.kind() != K::kArray) return v.kind() == K::kObject ? "Start of structure or map found where not expected." : std::string("Expected list or null");
      for (auto& item : v.mutable_items())
        if (auto e = CheckTypes(item, *s.member)) return e;
      return std::nullopt;
    case T::kMap:
    case T::kStructure:
      if (v.kind() != K::kObject) {
        return v.kind() == K::kArray ? std::string("Start of list found where not expected")
                                     : std::string("Expected map or null");
      }
      for (auto& [k, mv] : v.mutable_members()) {
        const Shape* ms = nullptr;
        if (s.type == T::kMap) {
          ms = s.member;
        } else {
          for (const auto& f : s.fields)
            if (f.name == k) ms = f.shape;
        }
        if (ms == nullptr) continue;  // unknown members are ignored, as AWS does
        if (auto e = CheckTypes(mv, *ms)) return e;
      }
      return std::nullopt;
  }
  return std::nullopt;
}

void Checker::CheckLength(const Value& v, const Shape& s, const std::string& path, int64_t len) {
  if (s.min && len < *s.min)
    Violation(v, s, path, fmt::format("Member must have length greater than or equal to {}", *s.min));
  if (s.max && len > *s.max)
    Violation(v, s, path, fmt::format("Member must have length less than or equal to {}", *s.max));
}

void Checker::CheckStructure(const Value& v, const Shape& s, const std::string& path) {
  for (const auto& f : s.fields) {
    const Value* mv = v.Find(f.name);
    std::string member_path = Join(path, PathName(f.name));
    if (mv == nullptr || mv->is_null()) {
      if (f.required) Violation(Value::Null(), *f.shape, member_path, "Member must not be null");
      continue;
    }
    CheckConstraints(*mv, *f.shape, member_path);
  }
}

void Checker::CheckConstraints(const Value& v, const Shape& s, const std::string& path) {
  switch (s.type) {
    case T::kString: {
      const std::string& str = v.as_string();
      CheckLength(v, s, path, Utf16Length(str));
      if (s.pattern && !s.pattern->matches(str))
        Violation(v, s, path, "Member must satisfy regular expression pattern: " + s.pattern->text);
      if (!s.enum_values.empty()) {
        bool found = false;
        for (const auto& e : s.enum_values) found |= e == str;
        if (!found)
          Violation(v, s, path, fmt::format("Member must satisfy enum value set: [{}]",
                                            fmt::join(s.enum_values, ", ")));
      }
      return;
    }
    case T::kInteger:
    case T::kLong: {
      int64_t n = v.kind() == K::kInt ? v.as_int() : static_cast<int64_t>(v.as_double());
      if (s.min && n < *s.min)
        Violation(v, s, path, fmt::format("Member must have value greater than or equal to {}", *s.min));
      if (s.max && n > *s.max)
        Violation(v, s, path, fmt::format("Member must have value less than or equal to {}", *s.max));
      return;
    }
    case T::kBlob:
      CheckLength(v, s, path, static_cast<int64_t>(v.as_string().size()));
      return;
    case T::kList:
      CheckLength(v, s, path, static_cast<int64_t>(v.items().size()));
      for (size_t i = 0; i < v.items().size(); ++i)
        CheckConstraints(v.items()[i], *s.member, fmt::format("{}.{}.member", path, i + 1));
      return;
    case T::kMap:
      CheckLength(v, s, path, static_cast<int64_t>(v.members().size()));
      for (const auto& [k, mv] : v.members()) {
        CheckConstraints(Value::String(k), *s.key, path + ".key");
        CheckConstraints(mv, *s.member, path + ".value");
      }
      return;
    case T::kStructure:
      CheckStructure(v, s, path);
      return;
    case T::kBoolean:
    case T::kTimestamp:
      return;
  }
}

}  // namespace

std::optional<WireError> Validate(Value& body, const Shape& shape) {
  Checker checker;
  if (body.kind() != K::kObject) {
    return ToWireError(ApiErrc::kSerialization, body.kind() == K::kArray
                                                    ? "Start of list found where not expected"
                                                    : "Expected map or null");
  }
  if (auto err = checker.CheckTypes(body, shape)) {
    return ToWireError(ApiErrc::kSerialization, *err);
  }
  checker.CheckConstraints(body, shape, "");
  const auto& v = checker.violations();
  if (v.empty()) return std::nullopt;
  size_t shown = std::min(v.size(), kMaxListedViolations);
  std::string msg = fmt::format("{} validation error{} detected: ", v.size(), v.size() == 1 ? "" : "s");
  for (size_t i = 0; i < shown; ++i) {
    if (i) msg += "; ";
    msg += v[i];
  }
  return ToWireError(ApiErrc::kValidation, msg);
}

}  // namespace shoal::api
