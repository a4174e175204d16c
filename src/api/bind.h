#pragma once
// Reading members of a validated request body into C++ values, and writing the shared
// result structures. Validation (validate.h) has already guaranteed the types, so these
// accessors only deal with presence and with the JSON/CBOR differences (timestamps).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/codec/value.h"
#include "api/codec/writer.h"
#include "service/data_types.h"
#include "service/types.h"

namespace shoal::api {

std::optional<std::string> OptString(const Value& obj, std::string_view key);
std::optional<int64_t> OptInt(const Value& obj, std::string_view key);
std::optional<bool> OptBool(const Value& obj, std::string_view key);
// JSON: seconds (integer or fractional); CBOR: milliseconds (tag 1 integer, as Java sends).
std::optional<int64_t> OptTimestampMs(const Value& obj, std::string_view key, Format format);
std::vector<std::string> StringList(const Value& obj, std::string_view key);
service::TagMap TagMapOf(const Value& obj, std::string_view key);
service::StreamRef StreamRefOf(const Value& obj);

void WriteShard(Writer& w, const service::ShardInfo& shard);
void WriteStreamModeDetails(Writer& w, meta::StreamMode mode);
void WriteEnhancedMonitoring(Writer& w, const std::vector<std::string>& metrics);
const char* EncryptionTypeName(meta::EncryptionType e);

// The ShardIteratorType (or StartingPosition.Type) enum value; nullopt for another string.
std::optional<service::IteratorType> IteratorTypeOf(const std::string& s);

}  // namespace shoal::api
