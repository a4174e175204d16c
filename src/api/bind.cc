#include "api/bind.h"

#include <array>

#include <cmath>

namespace shoal::api {

using K = Value::Kind;

std::optional<std::string> OptString(const Value& obj, std::string_view key) {
  const Value* v = obj.Find(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  return v->as_string();
}

std::optional<int64_t> OptInt(const Value& obj, std::string_view key) {
  const Value* v = obj.Find(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  return v->kind() == K::kInt ? v->as_int() : static_cast<int64_t>(v->as_double());
}

std::optional<bool> OptBool(const Value& obj, std::string_view key) {
  const Value* v = obj.Find(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  return v->as_bool();
}

std::optional<int64_t> OptTimestampMs(const Value& obj, std::string_view key, Format format) {
  const Value* v = obj.Find(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (format == Format::kCbor && v->kind() == K::kInt) return v->as_int();
  double seconds = v->as_double();
  // Some clients (Java v1 in JSON mode) send milliseconds; no real instant in seconds is
  // that large, so such values are read as milliseconds.
  if (std::fabs(seconds) > 1e11) return static_cast<int64_t>(std::llround(seconds));
  return static_cast<int64_t>(std::llround(seconds * 1000));
}

std::vector<std::string> StringList(const Value& obj, std::string_view key) {
  std::vector<std::string> out;
  const Value* v = obj.Find(key);
  if (v == nullptr || v->is_null()) return out;
  for (const auto& item : v->items()) out.push_back(item.as_string());
  return out;
}

service::TagMap TagMapOf(const Value& obj, std::string_view key) {
  service::TagMap out;
  const Value* v = obj.Find(key);
  if (v == nullptr || v->is_null()) return out;
  for (const auto& [k, val] : v->members()) out[k] = val.is_null() ? "" : val.as_string();
  return out;
}

service::StreamRef StreamRefOf(const Value& obj) {
  return service::StreamRef{OptString(obj, "StreamName"), OptString(obj, "StreamARN")};
}

void WriteShard(Writer& w, const service::ShardInfo& shard) {
  w.BeginObject();
  w.Key("ShardId");
  w.String(shard.shard_id);
  if (shard.parent_shard_id) {
    w.Key("ParentShardId");
    w.String(*shard.parent_shard_id);
  }
  if (shard.adjacent_parent_shard_id) {
    w.Key("AdjacentParentShardId");
    w.String(*shard.adjacent_parent_shard_id);
  }
  w.Key("HashKeyRange");
  w.BeginObject();
  w.Key("StartingHashKey");
  w.String(FormatUint128(shard.starting_hash_key));
  w.Key("EndingHashKey");
  w.String(FormatUint128(shard.ending_hash_key));
  w.EndObject();
  w.Key("SequenceNumberRange");
  w.BeginObject();
  w.Key("StartingSequenceNumber");
  w.String(shard.starting_sequence_number);
  if (shard.ending_sequence_number) {
    w.Key("EndingSequenceNumber");
    w.String(*shard.ending_sequence_number);
  }
  w.EndObject();
  w.EndObject();
}

void WriteStreamModeDetails(Writer& w, meta::StreamMode mode) {
  w.BeginObject();
  w.Key("StreamMode");
  w.String(mode == meta::StreamMode::kOnDemand ? "ON_DEMAND" : "PROVISIONED");
  w.EndObject();
}

void WriteEnhancedMonitoring(Writer& w, const std::vector<std::string>& metrics) {
  w.BeginArray();
  w.BeginObject();
  w.Key("ShardLevelMetrics");
  w.BeginArray();
  for (const auto& m : metrics) w.String(m);
  w.EndArray();
  w.EndObject();
  w.EndArray();
}

const char* EncryptionTypeName(meta::EncryptionType e) {
  return e == meta::EncryptionType::kKms ? "KMS" : "NONE";
}

std::optional<service::IteratorType> IteratorTypeOf(const std::string& s) {
  using T = service::IteratorType;
  static const std::array<std::pair<const char*, T>, 5> kTypes = {{
      {"AT_SEQUENCE_NUMBER", T::kAtSequenceNumber},
      {"AFTER_SEQUENCE_NUMBER", T::kAfterSequenceNumber},
      {"TRIM_HORIZON", T::kTrimHorizon},
      {"LATEST", T::kLatest},
      {"AT_TIMESTAMP", T::kAtTimestamp},
  }};
  for (const auto& [name, type] : kTypes)
    if (s == name) return type;
  return std::nullopt;
}


}  // namespace shoal::api
