#pragma once
// Typed requests and results of the control-plane operations. Shapes follow the Kinesis
// model, but these are C++ values: the API layer has already checked the model's
// constraints (lengths, patterns, ranges, enums); the service checks the semantic rules.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/uint128.h"
#include "meta/catalog_types.h"

namespace shoal::service {

// How a request names its stream: by name, by ARN, or both (which must agree).
struct StreamRef {
  std::optional<std::string> name;
  std::optional<std::string> arn;
};

using TagMap = std::map<std::string, std::string>;

// An enhanced fan-out consumer's status: kCreating, kActive or kDeleting.
using ConsumerStatus = meta::ConsumerStatus;

// An enhanced fan-out consumer as the service reports it.
struct ConsumerInfo {
  std::string arn;  // <stream ARN>/consumer/<name>:<creation epoch seconds>
  std::string name;
  std::string stream_name;
  uint64_t stream_revision = 0;
  ConsumerStatus status;
  int64_t created_ms = 0;
  std::string stream_arn;
};

struct RegisterStreamConsumerRequest {
  std::string stream_arn;
  std::string consumer_name;
  TagMap tags;
};

// How DescribeStreamConsumer and DeregisterStreamConsumer name a consumer: by ConsumerARN,
// or by StreamARN + ConsumerName, or by all three (which must agree).
struct ConsumerRef {
  std::optional<std::string> stream_arn;
  std::optional<std::string> consumer_name;
  std::optional<std::string> consumer_arn;
};

struct ListStreamConsumersRequest {
  std::string stream_arn;
  std::optional<std::string> next_token;
  std::optional<int64_t> max_results;
  std::optional<int64_t> stream_creation_timestamp_ms;
};
struct ListStreamConsumersResult {
  std::vector<ConsumerInfo> consumers;  // by name
  std::optional<std::string> next_token;
};

struct CreateStreamRequest {
  std::string name;
  std::optional<int64_t> shard_count;
  std::optional<meta::StreamMode> mode;
  TagMap tags;
  std::optional<int64_t> max_record_size_kib;
  std::optional<int64_t> warm_throughput_mibps;
};

struct DeleteStreamRequest {
  StreamRef stream;
  bool enforce_consumer_deletion = false;
};

// What describes a stream in every listing.
struct StreamInfo {
  std::string name;
  std::string arn;
  meta::StreamStatus status = meta::StreamStatus::kActive;
  meta::StreamMode mode = meta::StreamMode::kProvisioned;
  int64_t created_ms = 0;
  int32_t retention_hours = 24;
  std::vector<std::string> shard_level_metrics;
  meta::EncryptionType encryption = meta::EncryptionType::kNone;
  std::string key_id;
  int32_t max_record_size_kib = 1024;
};

struct ShardInfo {
  std::string shard_id;
  std::optional<std::string> parent_shard_id;
  std::optional<std::string> adjacent_parent_shard_id;
  uint128 starting_hash_key = 0;
  uint128 ending_hash_key = 0;
  std::string starting_sequence_number;
  std::optional<std::string> ending_sequence_number;
};

struct DescribeStreamRequest {
  StreamRef stream;
  std::optional<int64_t> limit;
  std::optional<std::string> exclusive_start_shard_id;
};
struct DescribeStreamResult {
  StreamInfo stream;
  std::vector<ShardInfo> shards;
  bool has_more_shards = false;
};

struct DescribeStreamSummaryResult {
  StreamInfo stream;
  int64_t open_shard_count = 0;
  int64_t consumer_count = 0;
};

struct ListStreamsRequest {
  std::optional<int64_t> limit;
  std::optional<std::string> exclusive_start_stream_name;
  std::optional<std::string> next_token;
};
struct ListStreamsResult {
  std::vector<StreamInfo> streams;
  bool has_more_streams = false;
  std::optional<std::string> next_token;
};

enum class ShardFilterType {
  kAfterShardId,
  kAtTrimHorizon,
  kFromTrimHorizon,
  kAtLatest,
  kAtTimestamp,
  kFromTimestamp,
};
struct ShardFilter {
  ShardFilterType type = ShardFilterType::kFromTrimHorizon;
  std::optional<std::string> shard_id;
  std::optional<int64_t> timestamp_ms;
};

struct ListShardsRequest {
  StreamRef stream;
  std::optional<std::string> next_token;
  std::optional<std::string> exclusive_start_shard_id;
  std::optional<int64_t> max_results;
  std::optional<int64_t> stream_creation_timestamp_ms;
  std::optional<ShardFilter> shard_filter;
};
struct ListShardsResult {
  std::vector<ShardInfo> shards;
  std::optional<std::string> next_token;
};

struct RetentionRequest {
  StreamRef stream;
  int64_t retention_hours = 24;
};

struct AddTagsRequest {
  StreamRef stream;
  TagMap tags;
};
struct RemoveTagsRequest {
  StreamRef stream;
  std::vector<std::string> keys;
};
struct ListTagsForStreamRequest {
  StreamRef stream;
  std::optional<std::string> exclusive_start_tag_key;
  std::optional<int64_t> limit;
};
struct ListTagsForStreamResult {
  std::vector<std::pair<std::string, std::string>> tags;
  bool has_more_tags = false;
};

struct EnhancedMonitoringRequest {
  StreamRef stream;
  std::vector<std::string> metrics;  // may contain "ALL"
};
struct EnhancedMonitoringResult {
  std::string stream_name;
  std::string stream_arn;
  std::vector<std::string> current;
  std::vector<std::string> desired;
};

struct DescribeLimitsResult {
  int64_t shard_limit = 0;
  int64_t open_shard_count = 0;
  int64_t on_demand_stream_count = 0;
  int64_t on_demand_stream_count_limit = 0;
};

struct SplitShardRequest {
  StreamRef stream;
  std::string shard_to_split;
  std::string new_starting_hash_key;  // decimal, as sent
};

struct MergeShardsRequest {
  StreamRef stream;
  std::string shard_to_merge;
  std::string adjacent_shard_to_merge;
};

struct UpdateShardCountRequest {
  StreamRef stream;
  int64_t target_shard_count = 1;  // ScalingType is always UNIFORM_SCALING
};
struct UpdateShardCountResult {
  std::string stream_name;
  std::string stream_arn;
  int64_t current_shard_count = 0;
  int64_t target_shard_count = 0;
};

struct UpdateStreamModeRequest {
  std::string stream_arn;
  meta::StreamMode mode = meta::StreamMode::kProvisioned;
  std::optional<int64_t> warm_throughput_mibps;
};

}  // namespace shoal::service
