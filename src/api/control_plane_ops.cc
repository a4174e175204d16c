// The stream control-plane operations: binding, service call, result encoding.

#include <array>

#include "api/bind.h"
#include "api/operations.h"

namespace shoal::api {
namespace {

using service::SvcResult;
using service::SvcStatus;
using Outcome = std::optional<WireError>;

Outcome FromStatus(const SvcStatus& st) {
  if (st.ok()) return std::nullopt;
  return ToWireError(st.code(), st.message());
}

// The members every description of a stream starts with.
void WriteStreamIdentity(Writer& w, const service::StreamInfo& s) {
  w.Key("StreamName");
  w.String(s.name);
  w.Key("StreamARN");
  w.String(s.arn);
  w.Key("StreamStatus");
  w.String(service::StreamStatusName(s.status));
  w.Key("StreamModeDetails");
  WriteStreamModeDetails(w, s.mode);
}

void WriteStreamInfoCommon(Writer& w, const service::StreamInfo& s) {
  WriteStreamIdentity(w, s);
  w.Key("RetentionPeriodHours");
  w.Int(s.retention_hours);
  w.Key("StreamCreationTimestamp");
  w.TimestampMs(s.created_ms);
  w.Key("EnhancedMonitoring");
  WriteEnhancedMonitoring(w, s.shard_level_metrics);
  w.Key("EncryptionType");
  w.String(EncryptionTypeName(s.encryption));
  if (s.encryption == meta::EncryptionType::kKms) {
    w.Key("KeyId");
    w.String(s.key_id);
  }
}

Outcome CreateStream(const Value& in, Format, Services& svc, Writer&) {
  service::CreateStreamRequest r;
  r.name = *OptString(in, "StreamName");
  r.shard_count = OptInt(in, "ShardCount");
  if (const Value* d = in.Find("StreamModeDetails"); d && !d->is_null()) {
    r.mode = *OptString(*d, "StreamMode") == "ON_DEMAND" ? meta::StreamMode::kOnDemand
                                                          : meta::StreamMode::kProvisioned;
  }
  r.tags = TagMapOf(in, "Tags");
  r.max_record_size_kib = OptInt(in, "MaxRecordSizeInKiB");
  r.warm_throughput_mibps = OptInt(in, "WarmThroughputMiBps");
  return FromStatus(svc.streams.CreateStream(r));
}

Outcome DeleteStream(const Value& in, Format, Services& svc, Writer&) {
  service::DeleteStreamRequest r;
  r.stream = StreamRefOf(in);
  r.enforce_consumer_deletion = OptBool(in, "EnforceConsumerDeletion").value_or(false);
  return FromStatus(svc.streams.DeleteStream(r));
}

Outcome DescribeStream(const Value& in, Format, Services& svc, Writer& w) {
  service::DescribeStreamRequest r;
  r.stream = StreamRefOf(in);
  r.limit = OptInt(in, "Limit");
  r.exclusive_start_shard_id = OptString(in, "ExclusiveStartShardId");
  auto res = svc.streams.DescribeStream(r);
  if (!res.ok()) return ToWireError(res.code(), res.message());
  w.BeginObject();
  w.Key("StreamDescription");
  w.BeginObject();
  WriteStreamInfoCommon(w, res->stream);
  w.Key("Shards");
  w.BeginArray();
  for (const auto& shard : res->shards) WriteShard(w, shard);
  w.EndArray();
  w.Key("HasMoreShards");
  w.Bool(res->has_more_shards);
  w.EndObject();
  w.EndObject();
  return std::nullopt;
}

Outcome DescribeStreamSummary(const Value& in, Format, Services& svc, Writer& w) {
  auto res = svc.streams.DescribeStreamSummary(StreamRefOf(in));
  if (!res.ok()) return ToWireError(res.code(), res.message());
  w.BeginObject();
  w.Key("StreamDescriptionSummary");
  w.BeginObject();
  WriteStreamInfoCommon(w, res->stream);
  w.Key("OpenShardCount");
  w.Int(res->open_shard_count);
  w.Key("ConsumerCount");
  w.Int(res->consumer_count);
  w.Key("MaxRecordSizeInKiB");
  w.Int(res->stream.max_record_size_kib);
  w.EndObject();
  w.EndObject();
  return std::nullopt;
}

Outcome ListStreams(const Value& in, Format, Services& svc, Writer& w) {
  service::ListStreamsRequest r;
  r.limit = OptInt(in, "Limit");
  r.exclusive_start_stream_name = OptString(in, "ExclusiveStartStreamName");
  r.next_token = OptString(in, "NextToken");
  auto res = svc.streams.ListStreams(r);
  if (!res.ok()) return ToWireError(res.code(), res.message());
  w.BeginObject();
  w.Key("StreamNames");
  w.BeginArray();
  for (const auto& s : res->streams) w.String(s.name);
  w.EndArray();
  w.Key("HasMoreStreams");
  w.Bool(res->has_more_streams);
  if (res->next_token) {
    w.Key("NextToken");
    w.String(*res->next_token);
  }
  w.Key("StreamSummaries");
  w.BeginArray();
  for (const auto& s : res->streams) {
    w.BeginObject();
    WriteStreamIdentity(w, s);
    w.Key("StreamCreationTimestamp");
    w.TimestampMs(s.created_ms);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::nullopt;
}

std::optional<service::ShardFilterType> FilterType(const std::string& s) {
  using F = service::ShardFilterType;
  static const std::array<std::pair<const char*, F>, 6> kTypes = {{
      {"AFTER_SHARD_ID", F::kAfterShardId},
      {"AT_TRIM_HORIZON", F::kAtTrimHorizon},
      {"FROM_TRIM_HORIZON", F::kFromTrimHorizon},
      {"AT_LATEST", F::kAtLatest},
      {"AT_TIMESTAMP", F::kAtTimestamp},
      {"FROM_TIMESTAMP", F::kFromTimestamp},
  }};
  for (const auto& [name, type] : kTypes)
    if (s == name) return type;
  return std::nullopt;
}

Outcome ListShards(const Value& in, Format format, Services& svc, Writer& w) {
  service::ListShardsRequest r;
  r.stream = StreamRefOf(in);
  r.next_token = OptString(in, "NextToken");
  r.exclusive_start_shard_id = OptString(in, "ExclusiveStartShardId");
  r.max_results = OptInt(in, "MaxResults");
  r.stream_creation_timestamp_ms = OptTimestampMs(in, "StreamCreationTimestamp", format);
  if (const Value* f = in.Find("ShardFilter"); f && !f->is_null()) {
    service::ShardFilter filter;
    filter.type = *FilterType(*OptString(*f, "Type"));  // validated against the enum
    filter.shard_id = OptString(*f, "ShardId");
    filter.timestamp_ms = OptTimestampMs(*f, "Timestamp", format);
    r.shard_filter = filter;
  }
  auto res = svc.streams.ListShards(r);
  if (!res.ok()) return ToWireError(res.code(), res.message());
  w.BeginObject();
  w.Key("Shards");
  w.BeginArray();
  for (const auto& shard : res->shards) WriteShard(w, shard);
  w.EndArray();
  if (res->next_token) {
    w.Key("NextToken");
    w.String(*res->next_token);
  }
  w.EndObject();
  return std::nullopt;
}

service::RetentionRequest RetentionOf(const Value& in) {
  return service::RetentionRequest{StreamRefOf(in), *OptInt(in, "RetentionPeriodHours")};
}

Outcome IncreaseRetention(const Value& in, Format, Services& svc, Writer&) {
  return FromStatus(svc.streams.IncreaseStreamRetentionPeriod(RetentionOf(in)));
}

Outcome DecreaseRetention(const Value& in, Format, Services& svc, Writer&) {
  return FromStatus(svc.streams.DecreaseStreamRetentionPeriod(RetentionOf(in)));
}

Outcome AddTagsToStream(const Value& in, Format, Services& svc, Writer&) {
  return FromStatus(svc.streams.AddTagsToStream({StreamRefOf(in), TagMapOf(in, "Tags")}));
}

Outcome RemoveTagsFromStream(const Value& in, Format, Services& svc, Writer&) {
  return FromStatus(
      svc.streams.RemoveTagsFromStream({StreamRefOf(in), StringList(in, "TagKeys")}));
}

void WriteTagList(Writer& w, const std::vector<std::pair<std::string, std::string>>& tags) {
  w.BeginArray();
  for (const auto& [k, v] : tags) {
    w.BeginObject();
    w.Key("Key");
    w.String(k);
    w.Key("Value");
    w.String(v);
    w.EndObject();
  }
  w.EndArray();
}

Outcome ListTagsForStream(const Value& in, Format, Services& svc, Writer& w) {
  service::ListTagsForStreamRequest r{StreamRefOf(in), OptString(in, "ExclusiveStartTagKey"),
                                      OptInt(in, "Limit")};
  auto res = svc.streams.ListTagsForStream(r);
  if (!res.ok()) return ToWireError(res.code(), res.message());
  w.BeginObject();
  w.Key("Tags");
  WriteTagList(w, res->tags);
  w.Key("HasMoreTags");
  w.Bool(res->has_more_tags);
  w.EndObject();
  return std::nullopt;
}

Outcome TagResource(const Value& in, Format, Services& svc, Writer&) {
  return FromStatus(svc.streams.TagResource(*OptString(in, "ResourceARN"), TagMapOf(in, "Tags")));
}

Outcome UntagResource(const Value& in, Format, Services& svc, Writer&) {
  return FromStatus(
      svc.streams.UntagResource(*OptString(in, "ResourceARN"), StringList(in, "TagKeys")));
}

Outcome ListTagsForResource(const Value& in, Format, Services& svc, Writer& w) {
  auto res = svc.streams.ListTagsForResource(*OptString(in, "ResourceARN"));
  if (!res.ok()) return ToWireError(res.code(), res.message());
  w.BeginObject();
  w.Key("Tags");
  WriteTagList(w, *res);
  w.EndObject();
  return std::nullopt;
}

Outcome ChangeMonitoring(const Value& in, Services& svc, Writer& w, bool enable) {
  service::EnhancedMonitoringRequest r{StreamRefOf(in), StringList(in, "ShardLevelMetrics")};
  auto res = enable ? svc.streams.EnableEnhancedMonitoring(r)
                    : svc.streams.DisableEnhancedMonitoring(r);
  if (!res.ok()) return ToWireError(res.code(), res.message());
  w.BeginObject();
  w.Key("StreamName");
  w.String(res->stream_name);
  w.Key("StreamARN");
  w.String(res->stream_arn);
  w.Key("CurrentShardLevelMetrics");
  w.BeginArray();
  for (const auto& m : res->current) w.String(m);
  w.EndArray();
  w.Key("DesiredShardLevelMetrics");
  w.BeginArray();
  for (const auto& m : res->desired) w.String(m);
  w.EndArray();
  w.EndObject();
  return std::nullopt;
}

Outcome EnableMonitoring(const Value& in, Format, Services& svc, Writer& w) {
  return ChangeMonitoring(in, svc, w, /*enable=*/true);
}

Outcome DisableMonitoring(const Value& in, Format, Services& svc, Writer& w) {
  return ChangeMonitoring(in, svc, w, /*enable=*/false);
}

Outcome DescribeLimits(const Value&, Format, Services& svc, Writer& w) {
  auto res = svc.streams.DescribeLimits();
  if (!res.ok()) return ToWireError(res.code(), res.message());
  w.BeginObject();
  w.Key("ShardLimit");
  w.Int(res->shard_limit);
  w.Key("OpenShardCount");
  w.Int(res->open_shard_count);
  w.Key("OnDemandStreamCount");
  w.Int(res->on_demand_stream_count);
  w.Key("OnDemandStreamCountLimit");
  w.Int(res->on_demand_stream_count_limit);
  w.EndObject();
  return std::nullopt;
}

// shoal has no On-demand Advantage billing: the commitment is always DISABLED.
Outcome DescribeAccountSettings(const Value&, Format, Services&, Writer& w) {
  w.BeginObject();
  w.Key("MinimumThroughputBillingCommitment");
  w.BeginObject();
  w.Key("Status");
  w.String("DISABLED");
  w.EndObject();
  w.EndObject();
  return std::nullopt;
}

Outcome SplitShard(const Value& in, Format, Services& svc, Writer&) {
  service::SplitShardRequest r;
  r.stream = StreamRefOf(in);
  r.shard_to_split = *OptString(in, "ShardToSplit");
  r.new_starting_hash_key = *OptString(in, "NewStartingHashKey");
  return FromStatus(svc.streams.SplitShard(r));
}

Outcome MergeShards(const Value& in, Format, Services& svc, Writer&) {
  service::MergeShardsRequest r;
  r.stream = StreamRefOf(in);
  r.shard_to_merge = *OptString(in, "ShardToMerge");
  r.adjacent_shard_to_merge = *OptString(in, "AdjacentShardToMerge");
  return FromStatus(svc.streams.MergeShards(r));
}

Outcome UpdateShardCount(const Value& in, Format, Services& svc, Writer& w) {
  service::UpdateShardCountRequest r;
  r.stream = StreamRefOf(in);
  r.target_shard_count = *OptInt(in, "TargetShardCount");  // ScalingType: UNIFORM_SCALING only
  auto res = svc.streams.UpdateShardCount(r);
  if (!res.ok()) return ToWireError(res.code(), res.message());
  w.BeginObject();
  w.Key("StreamName");
  w.String(res->stream_name);
  w.Key("CurrentShardCount");
  w.Int(res->current_shard_count);
  w.Key("TargetShardCount");
  w.Int(res->target_shard_count);
  w.Key("StreamARN");
  w.String(res->stream_arn);
  w.EndObject();
  return std::nullopt;
}

Outcome UpdateStreamMode(const Value& in, Format, Services& svc, Writer&) {
  service::UpdateStreamModeRequest r;
  r.stream_arn = *OptString(in, "StreamARN");
  const Value* d = in.Find("StreamModeDetails");
  r.mode = *OptString(*d, "StreamMode") == "ON_DEMAND" ? meta::StreamMode::kOnDemand
                                                       : meta::StreamMode::kProvisioned;
  r.warm_throughput_mibps = OptInt(in, "WarmThroughputMiBps");
  return FromStatus(svc.streams.UpdateStreamMode(r));
}

constexpr Operation kOperations[] = {
    {"AddTagsToStream", false, AddTagsToStream},
    {"CreateStream", false, CreateStream},
    {"DecreaseStreamRetentionPeriod", false, DecreaseRetention},
    {"DeleteStream", false, DeleteStream},
    {"DescribeAccountSettings", true, DescribeAccountSettings},
    {"DescribeLimits", true, DescribeLimits},
    {"DescribeStream", true, DescribeStream},
    {"DescribeStreamSummary", true, DescribeStreamSummary},
    {"DisableEnhancedMonitoring", true, DisableMonitoring},
    {"EnableEnhancedMonitoring", true, EnableMonitoring},
    {"IncreaseStreamRetentionPeriod", false, IncreaseRetention},
    {"ListShards", true, ListShards},
    {"ListStreams", true, ListStreams},
    {"ListTagsForResource", true, ListTagsForResource},
    {"ListTagsForStream", true, ListTagsForStream},
    {"MergeShards", false, MergeShards},
    {"RemoveTagsFromStream", false, RemoveTagsFromStream},
    {"SplitShard", false, SplitShard},
    {"TagResource", false, TagResource},
    {"UntagResource", false, UntagResource},
    {"UpdateShardCount", true, UpdateShardCount},
    {"UpdateStreamMode", false, UpdateStreamMode},
};

}  // namespace

std::span<const Operation> ControlPlaneOperations() { return kOperations; }

const Operation* FindOperation(std::string_view name) {
  for (auto table : {ControlPlaneOperations(), ConsumerOperations(), DataPlaneOperations(),
                     StreamingOperations()}) {
    for (const auto& op : table)
      if (op.name == name) return &op;
  }
  return nullptr;
}

}  // namespace shoal::api
