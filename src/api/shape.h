#pragma once
// The Kinesis service model's input shapes, as data: the API layer checks every request
// against its operation's input shape (types → SerializationException, constraints →
// ValidationException in AWS's wording) before binding it to a typed request.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::api {

// A string pattern of the model: its text (as AWS prints it) and a full-match test.
struct Pattern {
  std::string text;
  bool (*matches)(std::string_view);
};

struct Shape;

struct Field {
  std::string name;  // as on the wire (PascalCase)
  const Shape* shape;
  bool required = false;
};

struct Shape {
  enum class Type { kString, kInteger, kLong, kBoolean, kBlob, kTimestamp, kList, kMap, kStructure };
  Type type = Type::kString;
  // Length bounds (string, blob, list, map) or value bounds (integer, long).
  std::optional<int64_t> min;
  std::optional<int64_t> max;
  const Pattern* pattern = nullptr;        // string
  std::vector<std::string> enum_values;    // string
  const Shape* member = nullptr;           // list item or map value
  const Shape* key = nullptr;              // map key
  std::vector<Field> fields;               // structure
};

// The input shape of an operation, or nullptr when the operation is not in the model.
const Shape* InputShape(std::string_view operation);

}  // namespace shoal::api
