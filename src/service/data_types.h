#pragma once
// Typed requests and results of the data-plane operations (PutRecord, PutRecords,
// GetShardIterator, GetRecords).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meta/catalog_types.h"
#include "service/types.h"

namespace shoal::service {

// One record to write. The views point into the request's decoded body, which the caller
// keeps alive until the operation's callback has run.
struct PutEntry {
  std::string_view partition_key;
  std::string_view data;
  std::optional<std::string_view> explicit_hash_key;
};

struct PutRecordsRequest {
  StreamRef stream;
  std::vector<PutEntry> entries;
  // PutRecord only: the new record's sequence number must be greater than this one.
  std::optional<std::string> sequence_number_for_ordering;
  bool single = false;  // PutRecord (whole-call errors) rather than PutRecords (per entry)
};

struct PutResultEntry {
  // Success: shard and sequence number. Failure: error code and message.
  std::string shard_id;
  std::string sequence_number;
  std::string error_code;  // "ProvisionedThroughputExceededException" or "InternalFailure"
  std::string error_message;
  bool ok() const { return error_code.empty(); }
};

struct PutRecordsResult {
  std::vector<PutResultEntry> entries;  // request order
  int64_t failed_count = 0;
  meta::EncryptionType encryption = meta::EncryptionType::kNone;
};

enum class IteratorType { kAtSequenceNumber, kAfterSequenceNumber, kTrimHorizon, kLatest, kAtTimestamp };

struct GetShardIteratorRequest {
  StreamRef stream;
  std::string shard_id;
  IteratorType type = IteratorType::kTrimHorizon;
  std::optional<std::string> starting_sequence_number;
  std::optional<int64_t> timestamp_ms;
};

struct GetRecordsRequest {
  std::string shard_iterator;
  std::optional<int64_t> limit;
  std::optional<std::string> stream_arn;  // routing information only
};

struct OutRecord {
  std::string sequence_number;
  int64_t arrival_ms = 0;
  std::string_view partition_key;  // valid while the result's pin lives
  std::string_view data;
};

struct ChildShardInfo {
  std::string shard_id;
  std::vector<std::string> parent_shards;
  uint128 starting_hash_key = 0;
  uint128 ending_hash_key = 0;
};

struct GetRecordsResult {
  std::vector<OutRecord> records;
  std::optional<std::string> next_shard_iterator;  // absent at the end of a closed shard
  int64_t millis_behind_latest = 0;
  std::vector<ChildShardInfo> child_shards;  // only at the end of a closed shard
  meta::EncryptionType encryption = meta::EncryptionType::kNone;
  std::shared_ptr<const void> pin;  // keeps the record bytes alive
};

}  // namespace shoal::service
