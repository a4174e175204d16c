// StreamService: the read-only listings (DescribeStream, DescribeStreamSummary, ListStreams,
// ListShards) and their pagination.

#include <fmt/format.h>

#include <algorithm>

#include "service/page_token.h"
#include "service/sequence_number.h"
#include "service/stream_service.h"

namespace shoal::service {

using meta::ShardRecord;
using meta::StreamRecord;
using meta::StreamStatus;

namespace {

constexpr int64_t kDescribeStreamMaxLimit = 100;
constexpr int64_t kListStreamsMaxLimit = 100;
constexpr int64_t kListShardsMaxResults = 1000;
constexpr char kListStreamsToken[] = "ListStreams";
constexpr char kListShardsToken[] = "ListShards";

// A reshard closes the parents at T and creates the children at T + 1 s (so their sequence
// numbers lie above the parents'); the children take over at T, so that every instant has
// exactly one generation open. Intermediates of UpdateShardCount (born closed) never are.
bool OpenAt(const ShardRecord& shard, int64_t t) {
  if (shard.closed_ms && *shard.closed_ms <= shard.created_ms) return false;
  int64_t from = shard.parent ? shard.created_ms - kChildCreationDelayMs : shard.created_ms;
  return from <= t && (shard.open() || *shard.closed_ms > t);
}

int64_t ParseInt(const std::string& s) {
  int64_t v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

}  // namespace

StreamInfo StreamService::Info(const StreamRecord& s) const {
  StreamInfo i;
  i.name = s.name;
  i.arn = StreamArn(s.name);
  i.status = s.status;
  i.mode = s.mode;
  i.created_ms = s.created_ms;
  i.retention_hours = s.retention_hours;
  i.shard_level_metrics = s.shard_level_metrics;
  i.encryption = s.encryption;
  i.key_id = s.key_id;
  i.max_record_size_kib = s.max_record_size_kib;
  return i;
}

ShardInfo StreamService::ShardView(const ShardRecord& shard) const {
  ShardInfo i;
  i.shard_id = ShardIdString(shard.index);
  if (shard.parent) i.parent_shard_id = ShardIdString(*shard.parent);
  if (shard.adjacent_parent) i.adjacent_parent_shard_id = ShardIdString(*shard.adjacent_parent);
  i.starting_hash_key = shard.starting_hash_key;
  i.ending_hash_key = shard.ending_hash_key;
  i.starting_sequence_number =
      SequenceNumber::ShardStart(shard.index, shard.created_ms).ToString();
  if (shard.closed_ms) {
    i.ending_sequence_number =
        SequenceNumber::ShardEnd(shard.index, shard.created_ms, *shard.closed_ms).ToString();
  }
  return i;
}

// A closed shard expires (disappears from listings) once its last record has aged out.
bool StreamService::Expired(const StreamRecord& s, const ShardRecord& shard, int64_t now) const {
  return shard.closed_ms && *shard.closed_ms + int64_t{s.retention_hours} * 3'600'000 < now;
}

SvcResult<std::vector<std::string>> StreamService::OpenNextToken(const std::string& token,
                                                                 std::string_view kind,
                                                                 size_t fields, int64_t now) const {
  auto opened = OpenPageToken(token, now, options_.next_token_ttl_ms, options_.token_key);
  if (!opened.ok()) {
    if (opened.code() == TokenErrc::kExpired)
      return {Errc::kExpiredNextToken, "The NextToken has expired."};
    return {Errc::kInvalidArgument, "Invalid NextToken."};
  }
  if (opened->size() != fields || (*opened)[0] != kind)
    return {Errc::kInvalidArgument, "Invalid NextToken."};
  return std::move(*opened);
}

SvcResult<DescribeStreamResult> StreamService::DescribeStream(const DescribeStreamRequest& req) {
  Lock lock(mu_);
  int64_t now = clock_.NowMs();
  CompleteDueLocked(now);
  auto s = Resolve(req.stream);
  if (!s.ok()) return s.status();
  const StreamRecord& stream = **s;
  DescribeStreamResult r;
  r.stream = Info(stream);
  if (stream.status == StreamStatus::kCreating) return r;  // AWS lists no shards yet
  int64_t limit = std::min(req.limit.value_or(kDescribeStreamMaxLimit), kDescribeStreamMaxLimit);
  std::optional<uint32_t> after;
  if (req.exclusive_start_shard_id) {
    after = ParseShardId(*req.exclusive_start_shard_id);
    // An id that is not a number sorts before every shard id AWS issues.
  }
  for (const auto& shard : stream.shards) {
    if (after && shard.index <= *after) continue;
    if (Expired(stream, shard, now)) continue;
    if (static_cast<int64_t>(r.shards.size()) == limit) {
      r.has_more_shards = true;
      break;
    }
    r.shards.push_back(ShardView(shard));
  }
  return r;
}

SvcResult<DescribeStreamSummaryResult> StreamService::DescribeStreamSummary(const StreamRef& ref) {
  Lock lock(mu_);
  CompleteDueLocked(clock_.NowMs());
  auto s = Resolve(ref);
  if (!s.ok()) return s.status();
  DescribeStreamSummaryResult r;
  r.stream = Info(**s);
  for (const auto& shard : (*s)->shards) r.open_shard_count += shard.open() ? 1 : 0;
  r.consumer_count = static_cast<int64_t>((*s)->consumers.size());
  return r;
}

SvcResult<ListStreamsResult> StreamService::ListStreams(const ListStreamsRequest& req) {
  Lock lock(mu_);
  int64_t now = clock_.NowMs();
  CompleteDueLocked(now);
  std::optional<std::string> after = req.exclusive_start_stream_name;
  if (req.next_token) {
    auto fields = OpenNextToken(*req.next_token, kListStreamsToken, 2, now);
    if (!fields.ok()) return fields.status();
    after = (*fields)[1];
  }
  int64_t limit = std::min(req.limit.value_or(kListStreamsMaxLimit), kListStreamsMaxLimit);
  ListStreamsResult r;
  const auto& streams = catalog_.streams();
  auto it = after ? streams.upper_bound(*after) : streams.begin();
  for (; it != streams.end(); ++it) {
    if (static_cast<int64_t>(r.streams.size()) == limit) {
      r.has_more_streams = true;
      break;
    }
    r.streams.push_back(Info(it->second));
  }
  if (r.has_more_streams) {
    r.next_token = SealPageToken(TokenFields().Add(kListStreamsToken).Add(r.streams.back().name),
                                 now, options_.token_key);
  }
  return r;
}

SvcResult<ListShardsResult> StreamService::ListShards(const ListShardsRequest& req) {
  Lock lock(mu_);
  int64_t now = clock_.NowMs();
  CompleteDueLocked(now);
  int64_t max_results =
      std::min(req.max_results.value_or(kListShardsMaxResults), kListShardsMaxResults);
  if (req.next_token) {
    if (req.exclusive_start_shard_id) {
      return {Errc::kInvalidArgument,
              "NextToken and ExclusiveStartShardId cannot be provided together."};
    }
    // Fields: kind, stream name, revision, last shard index, filter type, filter shard, ts.
    auto fields = OpenNextToken(*req.next_token, kListShardsToken, 7, now);
    if (!fields.ok()) return fields.status();
    const auto& f = *fields;
    // botocore's paginator re-sends StreamName with the token: accept it when it agrees.
    if (req.stream.name && *req.stream.name != f[1]) {
      return {Errc::kInvalidArgument, "NextToken and StreamName cannot be provided together."};
    }
    if (req.stream.arn && *req.stream.arn != StreamArn(f[1])) {
      return {Errc::kInvalidArgument, "NextToken and StreamARN cannot be provided together."};
    }
    const StreamRecord* s = catalog_.FindStream(f[1]);
    if (s == nullptr || std::to_string(s->revision) != f[2])
      return {Errc::kResourceNotFound, NotFound(f[1])};
    ShardFilter filter;
    filter.type = static_cast<ShardFilterType>(ParseInt(f[4]));
    if (!f[5].empty()) filter.shard_id = f[5];
    if (!f[6].empty()) filter.timestamp_ms = ParseInt(f[6]);
    return ListShardsPage(*s, filter, static_cast<uint32_t>(ParseInt(f[3])), max_results, now);
  }
  auto s = Resolve(req.stream);
  if (!s.ok()) return s.status();
  const StreamRecord& stream = **s;
  if (req.stream_creation_timestamp_ms &&
      *req.stream_creation_timestamp_ms / 1000 != stream.created_ms / 1000) {
    return {Errc::kResourceNotFound, NotFound(stream.name)};
  }
  if (stream.status == StreamStatus::kCreating) {
    return {Errc::kResourceInUse,
            fmt::format("Stream {} under account {} not ACTIVE or UPDATING, instead in state "
                        "CREATING",
                        stream.name, options_.account_id)};
  }
  ShardFilter filter = req.shard_filter.value_or(ShardFilter{});
  std::optional<uint32_t> after;
  if (req.exclusive_start_shard_id) after = ParseShardId(*req.exclusive_start_shard_id);
  if (filter.type == ShardFilterType::kAfterShardId) {
    if (!filter.shard_id) {
      return {Errc::kInvalidArgument,
              "ShardFilter of type AFTER_SHARD_ID must provide a ShardId."};
    }
    auto id = ParseShardId(*filter.shard_id);
    if (id && (!after || *id > *after)) after = id;
  }
  bool needs_ts = filter.type == ShardFilterType::kAtTimestamp ||
                  filter.type == ShardFilterType::kFromTimestamp;
  if (needs_ts && !filter.timestamp_ms) {
    return {Errc::kInvalidArgument,
            fmt::format("ShardFilter of type {} must provide a Timestamp.",
                        filter.type == ShardFilterType::kAtTimestamp ? "AT_TIMESTAMP"
                                                                     : "FROM_TIMESTAMP")};
  }
  return ListShardsPage(stream, filter, after, max_results, now);
}

SvcResult<ListShardsResult> StreamService::ListShardsPage(const StreamRecord& s,
                                                          const ShardFilter& f,
                                                          std::optional<uint32_t> after_index,
                                                          int64_t max_results, int64_t now) {
  bool from_start = !after_index.has_value();
  int64_t trim_horizon = std::max(now - int64_t{s.retention_hours} * 3'600'000, s.created_ms);
  auto selected = [&](const ShardRecord& shard) {
    if (Expired(s, shard, now)) return false;
    switch (f.type) {
      case ShardFilterType::kAfterShardId:
      case ShardFilterType::kFromTrimHorizon:
        return true;
      case ShardFilterType::kAtTrimHorizon:
        return OpenAt(shard, trim_horizon);
      case ShardFilterType::kAtLatest:
        return shard.open();
      case ShardFilterType::kAtTimestamp:
        return OpenAt(shard, std::max(*f.timestamp_ms, s.created_ms));
      case ShardFilterType::kFromTimestamp:
        return shard.open() || *shard.closed_ms >= std::max(*f.timestamp_ms, trim_horizon);
    }
    return false;
  };
  ListShardsResult r;
  bool more = false;
  for (const auto& shard : s.shards) {
    if (!from_start && shard.index <= *after_index) continue;
    if (!selected(shard)) continue;
    if (static_cast<int64_t>(r.shards.size()) == max_results) {
      more = true;
      break;
    }
    r.shards.push_back(ShardView(shard));
  }
  if (more) {
    uint32_t last = *ParseShardId(r.shards.back().shard_id);
    TokenFields fields;
    fields.Add(kListShardsToken).Add(s.name).AddInt(static_cast<int64_t>(s.revision))
        .AddInt(last).AddInt(static_cast<int64_t>(f.type)).Add(f.shard_id.value_or(""))
        .Add(f.timestamp_ms ? std::to_string(*f.timestamp_ms) : "");
    r.next_token = SealPageToken(fields, now, options_.token_key);
  }
  return r;
}

}  // namespace shoal::service
