// ReadJson: simdjson's DOM parser validates the text (including UTF-8) and builds its tape;
// a recursive walk over the tape then builds the Value tree.

#include <simdjson.h>

#include <string>

#include "api/codec/dedupe_keys.h"
#include "api/codec/reader.h"

namespace shoal::api {
namespace {

static_assert(simdjson::SIMDJSON_PADDING <= kJsonPadding, "kJsonPadding must cover simdjson's padding");

using simdjson::dom::element;
using simdjson::dom::element_type;

Result<Value, CodecErrc> Malformed(std::string message) {
  return Result<Value, CodecErrc>(CodecErrc::kMalformed, std::move(message));
}

bool IsJsonWhitespace(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
  return true;
}

// Converts `el` into *out. Returns false when containers nest deeper than kMaxNestingDepth;
// `depth` is the number of containers enclosing `el`.
bool Convert(element el, int depth, Value* out);

bool ConvertArray(element el, int depth, Value* out) {
  if (depth >= kMaxNestingDepth) return false;
  *out = Value::Array();
  auto& items = out->mutable_items();
  const simdjson::dom::array array = el.get_array().value_unsafe();
  for (element child : array) {
    items.emplace_back();
    if (!Convert(child, depth + 1, &items.back())) return false;
  }
  return true;
}

bool ConvertObject(element el, int depth, Value* out) {
  if (depth >= kMaxNestingDepth) return false;
  *out = Value::Object();
  auto& members = out->mutable_members();
  const simdjson::dom::object object = el.get_object().value_unsafe();
  for (simdjson::dom::key_value_pair field : object) {
    members.emplace_back(std::string(field.key), Value());
    if (!Convert(field.value, depth + 1, &members.back().second)) return false;
  }
  DedupeKeys(members);
  return true;
}

bool Convert(element el, int depth, Value* out) {
  switch (el.type()) {
    case element_type::ARRAY:
      return ConvertArray(el, depth, out);
    case element_type::OBJECT:
      return ConvertObject(el, depth, out);
    case element_type::INT64:
      *out = Value::Int(el.get_int64().value_unsafe());
      return true;
    case element_type::UINT64:  // only produced above INT64_MAX
      *out = Value::Double(static_cast<double>(el.get_uint64().value_unsafe()));
      return true;
    case element_type::DOUBLE:
      *out = Value::Double(el.get_double().value_unsafe());
      return true;
    case element_type::STRING:
      *out = Value::String(std::string(el.get_string().value_unsafe()));
      return true;
    case element_type::BOOL:
      *out = Value::Bool(el.get_bool().value_unsafe());
      return true;
    case element_type::NULL_VALUE:
      *out = Value::Null();
      return true;
  }
  return true;
}

Result<Value, CodecErrc> Parse(std::string_view body, bool padded) {
  if (IsJsonWhitespace(body)) return Value::Object();
  // One parser per thread, reused: it keeps buffers sized for the largest body it has seen
  // (about 15x that size in virtual memory; only the pages a parse touches become resident).
  thread_local simdjson::dom::parser parser;
  element root;
  const auto error = parser
                         .parse(reinterpret_cast<const uint8_t*>(body.data()), body.size(),
                                /*realloc_if_needed=*/!padded)
                         .get(root);
  if (error) return Malformed(std::string("Malformed JSON: ") + simdjson::error_message(error));
  Value value;
  if (!Convert(root, 0, &value)) return Malformed("Malformed JSON: nesting too deep");
  return value;
}

}  // namespace

Result<Value, CodecErrc> ReadJson(std::string_view body) { return Parse(body, false); }

Result<Value, CodecErrc> ReadJsonPadded(std::string_view body) { return Parse(body, true); }

}  // namespace shoal::api
