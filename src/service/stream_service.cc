#include "service/stream_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <variant>

#include "service/hash_ranges.h"

namespace shoal::service {

using meta::StreamMode;
using meta::StreamRecord;
using meta::StreamStatus;

namespace {

constexpr int32_t kMinRetentionHours = 24;
constexpr int32_t kMaxRetentionHours = 8760;

}  // namespace

const char* StreamStatusName(StreamStatus s) {
  switch (s) {
    case StreamStatus::kCreating: return "CREATING";
    case StreamStatus::kActive: return "ACTIVE";
    case StreamStatus::kUpdating: return "UPDATING";
    case StreamStatus::kDeleting: return "DELETING";
  }
  return "UNKNOWN";
}

std::string ShardIdString(uint32_t index) { return fmt::format("shardId-{:012}", index); }

std::optional<uint32_t> ParseShardId(std::string_view text) {
  size_t dash = text.find('-');
  std::string_view digits = dash == std::string_view::npos ? text : text.substr(dash + 1);
  if (digits.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > 2147483647) return std::nullopt;
  }
  return static_cast<uint32_t>(v);
}

StreamService::StreamService(meta::Catalog& catalog, Clock& clock, ServiceOptions options)
    : catalog_(catalog), clock_(clock), options_(std::move(options)) {}

std::string StreamService::StreamArn(const std::string& name) const {
  return fmt::format("arn:aws:kinesis:{}:{}:stream/{}", options_.region, options_.account_id,
                     name);
}

std::string StreamService::NotFound(const std::string& name) const {
  return fmt::format("Stream {} under account {} not found.", name, options_.account_id);
}

std::string StreamService::NotActive(const StreamRecord& s) const {
  return fmt::format("Stream {} under account {} not ACTIVE, instead in state {}", s.name,
                     options_.account_id, StreamStatusName(s.status));
}

SvcStatus StreamService::Commit(const meta::Command& cmd) {
  auto removed = ConsumersRemovedBy(cmd);
  auto st = catalog_.Apply(cmd);
  if (!st.ok()) return {Errc::kInternal, "Catalog update failed: " + st.message()};
  for (auto& [key, second] : removed) {
    int64_t& latest = removed_consumer_s_[key];
    latest = std::max(latest, second);
  }
  const std::string& name = meta::CommandStreamName(cmd);
  if (auto it = views_.find(name); it != views_.end()) views_.erase(it);
  next_due_ms_ = 0;
  if (std::holds_alternative<meta::DeleteStreamCmd>(cmd) && on_removed_) {
    on_removed_(meta::CommandRevision(cmd));
  }
  if (const auto* reshard = std::get_if<meta::ReshardCmd>(&cmd); reshard && on_shards_closed_) {
    std::vector<uint32_t> closed = reshard->closed;
    for (const auto& s : reshard->new_shards) {
      if (!s.open()) closed.push_back(s.index);
    }
    on_shards_closed_(reshard->revision, closed);
  }
  return {};
}

std::shared_ptr<const StreamView> StreamService::ViewLocked(const StreamRecord& s) {
  auto it = views_.find(s.name);
  if (it != views_.end()) return it->second;
  auto view = StreamView::Of(s);
  views_.emplace(s.name, view);
  return view;
}

SvcResult<std::shared_ptr<const StreamView>> StreamService::View(const StreamRef& ref) {
  Lock lock(mu_);
  CompleteDueLocked(clock_.NowMs());
  auto s = Resolve(ref);
  if (!s.ok()) return s.status();
  return ViewLocked(**s);
}

std::vector<std::shared_ptr<const StreamView>> StreamService::AllViews() {
  Lock lock(mu_);
  CompleteDueLocked(clock_.NowMs());
  std::vector<std::shared_ptr<const StreamView>> out;
  for (const auto& [name, s] : catalog_.streams()) out.push_back(ViewLocked(s));
  return out;
}

std::shared_ptr<const StreamView> StreamService::ViewByName(const std::string& name) {
  Lock lock(mu_);
  CompleteDueLocked(clock_.NowMs());
  const StreamRecord* s = catalog_.FindStream(name);
  return s == nullptr ? nullptr : ViewLocked(*s);
}

SvcResult<const StreamRecord*> StreamService::Resolve(const StreamRef& ref) const {
  if (!ref.name && !ref.arn) {
    return {Errc::kInvalidArgument, "Either StreamName or StreamARN must be provided."};
  }
  if (ref.arn) {
    auto by_arn = ResolveArn(*ref.arn);
    if (!by_arn.ok()) return by_arn;
    if (ref.name && *ref.name != (*by_arn)->name) {
      return {Errc::kInvalidArgument,
              fmt::format("StreamARN {} and StreamName {} do not refer to the same stream.",
                          *ref.arn, *ref.name)};
    }
    return by_arn;
  }
  const StreamRecord* s = catalog_.FindStream(*ref.name);
  if (s == nullptr) return {Errc::kResourceNotFound, NotFound(*ref.name)};
  return s;
}

SvcResult<const StreamRecord*> StreamService::ResolveArn(const std::string& arn) const {
  std::string prefix = fmt::format("arn:aws:kinesis:{}:{}:stream/", options_.region,
                                   options_.account_id);
  if (arn.rfind(prefix, 0) != 0) {
    // A well-formed ARN of another account or Region names nothing on this server.
    return {Errc::kResourceNotFound, fmt::format("Stream {} not found.", arn)};
  }
  std::string name = arn.substr(prefix.size());
  if (name.find("/consumer/") != std::string::npos) {
    return {Errc::kResourceNotFound, fmt::format("Consumer {} not found.", arn)};
  }
  const StreamRecord* s = catalog_.FindStream(name);
  if (s == nullptr) return {Errc::kResourceNotFound, NotFound(name)};
  return s;
}

SvcStatus StreamService::CheckOnDemandQuota() const {
  int64_t on_demand = 0;
  for (const auto& [n, s] : catalog_.streams()) on_demand += s.mode == StreamMode::kOnDemand;
  if (on_demand < options_.on_demand_stream_limit) return {};
  return {Errc::kLimitExceeded,
          fmt::format("This request would exceed the on-demand stream limit for the account {} "
                      "in {}. Current on-demand stream count for the account: {}. Limit: {}.",
                      options_.account_id, options_.region, on_demand,
                      options_.on_demand_stream_limit)};
}

int64_t StreamService::OpenProvisionedShards() const {
  int64_t n = 0;
  for (const auto& [name, s] : catalog_.streams()) {
    if (s.mode != StreamMode::kProvisioned) continue;
    for (const auto& shard : s.shards) n += shard.open() ? 1 : 0;
  }
  return n;
}

SvcStatus StreamService::CreateStream(const CreateStreamRequest& req) {
  Lock lock(mu_);
  int64_t now = clock_.NowMs();
  CompleteDueLocked(now);
  if (catalog_.FindStream(req.name) != nullptr) {
    return {Errc::kResourceInUse, fmt::format("Stream {} under account {} already exists.",
                                              req.name, options_.account_id)};
  }
  // Without StreamModeDetails and ShardCount AWS creates an on-demand stream.
  StreamMode mode = req.mode.value_or(req.shard_count ? StreamMode::kProvisioned
                                                      : StreamMode::kOnDemand);
  if (mode == StreamMode::kOnDemand && req.shard_count) {
    return {Errc::kValidation, "ShardCount is not expected when StreamMode=ON_DEMAND"};
  }
  if (mode == StreamMode::kProvisioned && !req.shard_count) {
    return {Errc::kInvalidArgument, "ShardCount is required when StreamMode=PROVISIONED"};
  }
  if (req.warm_throughput_mibps) {
    return {Errc::kInvalidArgument,
            "WarmThroughputMiBps requires the account's MinimumThroughputBillingCommitment to "
            "be ENABLED."};
  }
  int64_t shards = mode == StreamMode::kOnDemand ? options_.on_demand_initial_shards
                                                 : *req.shard_count;
  if (mode == StreamMode::kProvisioned) {
    int64_t current = OpenProvisionedShards();
    if (current + shards > options_.shard_limit) {
      return {Errc::kLimitExceeded,
              fmt::format("This request would exceed the shard limit for the account {} in {}. "
                          "Current shard count for the account: {}. Limit: {}. Number of "
                          "additional shards that would have resulted from this request: {}. "
                          "Refer to the AWS Service Limits page "
                          "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) "
                          "for current limits and how to request higher limits.",
                          options_.account_id, options_.region, current, options_.shard_limit,
                          shards)};
    }
  } else {
    SHOAL_RETURN_IF_ERROR(CheckOnDemandQuota());
  }
  int64_t creating = 0;
  for (const auto& [n, s] : catalog_.streams()) creating += s.status == StreamStatus::kCreating;
  if (options_.create_delay_ms > 0 && creating >= options_.max_creating_streams) {
    return {Errc::kLimitExceeded,
            fmt::format("Rate exceeded for account {}: at most {} streams can be CREATING at "
                        "once.",
                        options_.account_id, options_.max_creating_streams)};
  }
  SHOAL_RETURN_IF_ERROR(ValidateTags(req.name, req.tags, req.tags.size()));

  StreamRecord r;
  r.name = req.name;
  r.revision = catalog_.last_revision() + 1;
  r.mode = mode;
  r.created_ms = now;
  r.status = options_.create_delay_ms > 0 ? StreamStatus::kCreating : StreamStatus::kActive;
  r.status_until_ms = options_.create_delay_ms > 0 ? now + options_.create_delay_ms : 0;
  r.max_record_size_kib = static_cast<int32_t>(req.max_record_size_kib.value_or(1024));
  r.tags = req.tags;
  auto ranges = EvenHashRanges(static_cast<uint32_t>(shards));
  for (uint32_t i = 0; i < ranges.size(); ++i) {
    meta::ShardRecord shard;
    shard.index = i;
    shard.starting_hash_key = ranges[i].start;
    shard.ending_hash_key = ranges[i].end;
    shard.created_ms = now;
    r.shards.push_back(shard);
  }
  r.next_shard_index = static_cast<uint32_t>(ranges.size());
  return Commit(meta::CreateStreamCmd{std::move(r)});
}

SvcStatus StreamService::DeleteStream(const DeleteStreamRequest& req) {
  Lock lock(mu_);
  int64_t now = clock_.NowMs();
  CompleteDueLocked(now);
  auto s = Resolve(req.stream);
  if (!s.ok()) return s.status();
  const StreamRecord& stream = **s;
  if (stream.status == StreamStatus::kDeleting) {
    return {Errc::kResourceInUse, NotActive(stream)};
  }
  if (options_.delete_delay_ms <= 0) {
    SHOAL_RETURN_IF_ERROR(RetireConsumers(stream, req.enforce_consumer_deletion, 0));
    return Commit(meta::DeleteStreamCmd{stream.name, stream.revision});
  }
  // Consumers go DELETING first and vanish with the stream.
  SHOAL_RETURN_IF_ERROR(RetireConsumers(stream, req.enforce_consumer_deletion,
                                        now + options_.delete_delay_ms));
  return Commit(meta::SetStreamStatusCmd{stream.name, stream.revision, StreamStatus::kDeleting,
                                         now + options_.delete_delay_ms});
}

std::optional<int64_t> StreamService::CompleteDueTransitions() {
  Lock lock(mu_);
  return CompleteDueLocked(clock_.NowMs());
}

std::optional<int64_t> StreamService::CompleteDueLocked(int64_t now) {
  // Fast path for every request: nothing can be due before next_due_ms_.
  constexpr int64_t kNever = int64_t{1} << 62;
  if (next_due_ms_ != 0 && now < next_due_ms_) {
    return next_due_ms_ == kNever ? std::nullopt : std::optional<int64_t>(next_due_ms_);
  }
  std::vector<meta::Command> due;
  std::optional<int64_t> next;
  for (const auto& [name, s] : catalog_.streams()) {
    bool stream_due = s.status != StreamStatus::kActive && s.status_until_ms <= now;
    // A stream about to be removed takes its consumers with it.
    if (!(stream_due && s.status == StreamStatus::kDeleting)) {
      DueConsumerCommands(s, now, &due, &next);
    }
    if (s.status == StreamStatus::kActive) continue;
    if (s.status_until_ms > now) {
      next = next ? std::min(*next, s.status_until_ms) : s.status_until_ms;
      continue;
    }
    if (s.status == StreamStatus::kDeleting) {
      due.push_back(meta::DeleteStreamCmd{s.name, s.revision});
    } else {
      due.push_back(meta::SetStreamStatusCmd{s.name, s.revision, StreamStatus::kActive, 0});
    }
  }
  bool failed = false;
  for (const auto& cmd : due) {
    // A failed write leaves the transition pending; it is retried on the next call.
    failed |= !Commit(cmd).ok();
  }
  if (failed) next = now;
  // Commit() reset the cache; recompute it from what is still pending.
  next_due_ms_ = failed ? 0 : next.value_or(kNever);
  return next;
}

SvcStatus StreamService::IncreaseStreamRetentionPeriod(const RetentionRequest& req) {
  return ChangeRetention(req, /*increase=*/true);
}

SvcStatus StreamService::DecreaseStreamRetentionPeriod(const RetentionRequest& req) {
  return ChangeRetention(req, /*increase=*/false);
}

SvcStatus StreamService::ChangeRetention(const RetentionRequest& req, bool increase) {
  Lock lock(mu_);
  CompleteDueLocked(clock_.NowMs());
  auto s = Resolve(req.stream);
  if (!s.ok()) return s.status();
  const StreamRecord& stream = **s;
  int64_t h = req.retention_hours;
  if (h < kMinRetentionHours) {
    return {Errc::kInvalidArgument,
            fmt::format("Minimum allowed retention period is {} hours. Requested retention "
                        "period ({} hours) is too short.",
                        kMinRetentionHours, h)};
  }
  if (h > kMaxRetentionHours) {
    return {Errc::kInvalidArgument,
            fmt::format("Maximum allowed retention period is {} hours. Requested retention "
                        "period ({} hours) is too long.",
                        kMaxRetentionHours, h)};
  }
  if (stream.status != StreamStatus::kActive && stream.status != StreamStatus::kUpdating) {
    return {Errc::kResourceInUse, NotActive(stream)};
  }
  if (increase && h < stream.retention_hours) {
    return {Errc::kInvalidArgument,
            fmt::format("Requested retention period ({} hours) for stream {} can not be shorter "
                        "than existing retention period ({} hours). Use DecreaseRetentionPeriod "
                        "API.",
                        h, stream.name, stream.retention_hours)};
  }
  if (!increase && h > stream.retention_hours) {
    return {Errc::kInvalidArgument,
            fmt::format("Requested retention period ({} hours) for stream {} can not be longer "
                        "than existing retention period ({} hours). Use IncreaseRetentionPeriod "
                        "API.",
                        h, stream.name, stream.retention_hours)};
  }
  if (h == stream.retention_hours) return {};
  return Commit(meta::SetRetentionCmd{stream.name, stream.revision, static_cast<int32_t>(h)});
}

SvcResult<DescribeLimitsResult> StreamService::DescribeLimits() {
  Lock lock(mu_);
  CompleteDueLocked(clock_.NowMs());
  DescribeLimitsResult r;
  r.shard_limit = options_.shard_limit;
  r.on_demand_stream_count_limit = options_.on_demand_stream_limit;
  for (const auto& [name, s] : catalog_.streams()) {
    r.on_demand_stream_count += s.mode == StreamMode::kOnDemand;
    for (const auto& shard : s.shards) r.open_shard_count += shard.open() ? 1 : 0;
  }
  return r;
}

}  // namespace shoal::service

namespace shoal::service {

ReshardContext StreamService::ContextFor(const StreamRecord& s, int64_t now) const {
  return ReshardContext{.stream = s,
                        .now_ms = now,
                        .account_id = options_.account_id,
                        .region = options_.region,
                        .update_delay_ms = options_.update_delay_ms,
                        .shard_limit = options_.shard_limit,
                        .account_open_shards = OpenProvisionedShards()};
}

SvcStatus StreamService::SplitShard(const SplitShardRequest& req) {
  Lock lock(mu_);
  int64_t now = clock_.NowMs();
  CompleteDueLocked(now);
  auto s = Resolve(req.stream);
  if (!s.ok()) return s.status();
  auto cmd = PlanSplit(ContextFor(**s, now), req.shard_to_split, req.new_starting_hash_key);
  if (!cmd.ok()) return cmd.status();
  return Commit(*cmd);
}

SvcStatus StreamService::MergeShards(const MergeShardsRequest& req) {
  Lock lock(mu_);
  int64_t now = clock_.NowMs();
  CompleteDueLocked(now);
  auto s = Resolve(req.stream);
  if (!s.ok()) return s.status();
  auto cmd = PlanMerge(ContextFor(**s, now), req.shard_to_merge, req.adjacent_shard_to_merge);
  if (!cmd.ok()) return cmd.status();
  return Commit(*cmd);
}

SvcResult<UpdateShardCountResult> StreamService::UpdateShardCount(
    const UpdateShardCountRequest& req) {
  Lock lock(mu_);
  int64_t now = clock_.NowMs();
  CompleteDueLocked(now);
  auto s = Resolve(req.stream);
  if (!s.ok()) return s.status();
  std::string name = (*s)->name;
  auto plan = PlanUniformScaling(ContextFor(**s, now), req.target_shard_count);
  if (!plan.ok()) return plan.status();
  SHOAL_RETURN_IF_ERROR(Commit(plan->cmd));
  UpdateShardCountResult r;
  r.stream_name = name;
  r.stream_arn = StreamArn(name);
  r.current_shard_count = plan->current_shard_count;
  r.target_shard_count = req.target_shard_count;
  return r;
}

SvcStatus StreamService::UpdateStreamMode(const UpdateStreamModeRequest& req) {
  Lock lock(mu_);
  int64_t now = clock_.NowMs();
  CompleteDueLocked(now);
  auto s = ResolveArn(req.stream_arn);
  if (!s.ok()) return s.status();
  if (req.warm_throughput_mibps && *req.warm_throughput_mibps > 0) {
    return {Errc::kInvalidArgument,
            "WarmThroughputMiBps requires the account's MinimumThroughputBillingCommitment to "
            "be ENABLED."};
  }
  if (req.mode == StreamMode::kOnDemand && (*s)->mode != StreamMode::kOnDemand) {
    SHOAL_RETURN_IF_ERROR(CheckOnDemandQuota());
  }
  auto cmd = PlanStreamMode(ContextFor(**s, now), req.mode);
  if (!cmd.ok()) return cmd.status();
  return Commit(*cmd);
}

}  // namespace shoal::service
