#include "api/put_records_fast.h"

#include <simdjson.h>

#include <cstring>

#include "api/shape.h"
#include "common/base64.h"

namespace shoal::api {
namespace {

constexpr size_t kMaxEntries = 500;

// The member shapes of PutRecords in the model; the fast path checks the same constraints.
struct PutRecordsShapes {
  const Shape* stream_name;
  const Shape* stream_arn;
  const Shape* stream_id;
  const Shape* data;
  const Shape* partition_key;
  const Shape* hash_key;
};

const Shape* MemberOf(const Shape& s, std::string_view name) {
  for (const auto& f : s.fields)
    if (f.name == name) return f.shape;
  return nullptr;
}

const PutRecordsShapes& Shapes() {
  static const PutRecordsShapes shapes = [] {
    const Shape& top = *InputShape("PutRecords");
    const Shape& entry = *MemberOf(top, "Records")->member;
    return PutRecordsShapes{MemberOf(top, "StreamName"), MemberOf(top, "StreamARN"),
                            MemberOf(top, "StreamId"),   MemberOf(entry, "Data"),
                            MemberOf(entry, "PartitionKey"), MemberOf(entry, "ExplicitHashKey")};
  }();
  return shapes;
}

int64_t Utf16Units(std::string_view s) {
  int64_t n = 0;
  for (unsigned char c : s) n += ((c & 0xC0) != 0x80) + (c >= 0xF0);
  return n;
}

bool Satisfies(const Shape& shape, std::string_view s) {
  int64_t len = Utf16Units(s);
  if (shape.min && len < *shape.min) return false;
  if (shape.max && len > *shape.max) return false;
  return shape.pattern == nullptr || shape.pattern->matches(s);
}

// Strings of one record, in simdjson's buffer (valid until the parser's next use).
struct RawEntry {
  std::string_view data_b64;
  std::string_view key;
  std::optional<std::string_view> hash_key;
};

bool ReadEntry(simdjson::dom::element e, RawEntry& out) {
  simdjson::dom::object obj;
  if (e.get(obj) != simdjson::SUCCESS) return false;
  bool has_data = false, has_key = false;
  for (auto field : obj) {
    std::string_view v;
    if (field.value.is_null()) continue;
    if (field.value.get(v) != simdjson::SUCCESS) {
      // Only the three string members are known; an unknown member may be anything.
      if (field.key == "Data" || field.key == "PartitionKey" || field.key == "ExplicitHashKey")
        return false;
      continue;
    }
    if (field.key == "Data") {
      out.data_b64 = v;
      has_data = true;
    } else if (field.key == "PartitionKey") {
      out.key = v;
      has_key = true;
    } else if (field.key == "ExplicitHashKey") {
      out.hash_key = v;
    }
  }
  return has_data && has_key;
}

}  // namespace

std::optional<FastPutRecords> TryDecodePutRecordsJson(std::string_view body) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size(), true).get(root) != simdjson::SUCCESS) return {};
  simdjson::dom::object obj;
  if (root.get(obj) != simdjson::SUCCESS) return {};
  const PutRecordsShapes& shapes = Shapes();
  FastPutRecords out;
  std::vector<RawEntry> raw;
  for (auto field : obj) {
    if (field.value.is_null()) continue;
    if (field.key == "Records") {
      simdjson::dom::array records;
      if (field.value.get(records) != simdjson::SUCCESS) return {};
      raw.reserve(records.size());
      for (auto e : records) {
        if (!ReadEntry(e, raw.emplace_back())) return {};
      }
      continue;
    }
    std::string_view v;
    bool is_string = field.value.get(v) == simdjson::SUCCESS;
    if (field.key == "StreamName") {
      if (!is_string || !Satisfies(*shapes.stream_name, v)) return {};
      out.request.stream.name = std::string(v);
    } else if (field.key == "StreamARN") {
      if (!is_string || !Satisfies(*shapes.stream_arn, v)) return {};
      out.request.stream.arn = std::string(v);
    } else if (field.key == "StreamId") {
      if (!is_string || !Satisfies(*shapes.stream_id, v)) return {};
    }
  }
  if (raw.empty() || raw.size() > kMaxEntries) return {};
  size_t room = 0;
  for (const auto& r : raw) {
    room += Base64MaxDecodedSize(r.data_b64.size()) + r.key.size() +
            (r.hash_key ? r.hash_key->size() : 0);
  }
  out.arena = std::make_shared<std::string>();
  out.arena->resize(room);
  char* base = out.arena->data();
  size_t used = 0;
  out.request.entries.reserve(raw.size());
  for (const auto& r : raw) {
    if (!Satisfies(*shapes.partition_key, r.key)) return {};
    if (r.hash_key && !Satisfies(*shapes.hash_key, *r.hash_key)) return {};
    auto n = Base64DecodeInto(r.data_b64, base + used);
    if (!n.ok() || static_cast<int64_t>(*n) > *shapes.data->max) return {};
    service::PutEntry entry;
    entry.data = std::string_view(base + used, *n);
    used += *n;
    std::memcpy(base + used, r.key.data(), r.key.size());
    entry.partition_key = std::string_view(base + used, r.key.size());
    used += r.key.size();
    if (r.hash_key) {
      std::memcpy(base + used, r.hash_key->data(), r.hash_key->size());
      entry.explicit_hash_key = std::string_view(base + used, r.hash_key->size());
      used += r.hash_key->size();
    }
    out.request.entries.push_back(entry);
  }
  return out;
}

}  // namespace shoal::api
