#pragma once
// The control plane of Kinesis streams: operations as C++ functions on typed requests.
// Owns the rules (names, states, limits, hash layout, pagination) and records every change
// as a catalog command. Knows no wire format.
//
// Thread-safety: all public methods are thread-safe (one mutex; the control plane is not a
// hot path). Catalog writes (with their sync) happen under that mutex.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "meta/catalog.h"
#include "service/errors.h"
#include "service/reshard.h"
#include "service/stream_view.h"
#include "service/types.h"

namespace shoal::service {

struct ScalingAction;  // service/autoscale/on_demand_scaler.h

struct ServiceOptions {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  // How long CREATING, DELETING and UPDATING last. 0 completes the transition at once.
  int64_t create_delay_ms = 500;
  int64_t delete_delay_ms = 500;
  int64_t update_delay_ms = 500;
  int64_t shard_limit = 20000;           // account quota of open provisioned shards
  int64_t on_demand_stream_limit = 50;   // account quota of on-demand streams
  int64_t max_creating_streams = 5;      // streams CREATING at once
  int64_t on_demand_initial_shards = 4;
  int64_t next_token_ttl_ms = 300'000;
  // How long a consumer stays CREATING and DELETING. 0 completes the transition at once.
  int64_t consumer_create_delay_ms = 500;
  int64_t consumer_delete_delay_ms = 500;
  int64_t max_consumers_per_stream = 20;
  int64_t max_creating_consumers = 5;  // consumers CREATING at once, account-wide
  std::string token_key;  // HMAC key of pagination tokens; keep it stable across restarts
};

class StreamService {
 public:
  // `catalog` and `clock` must outlive the service.
  StreamService(meta::Catalog& catalog, Clock& clock, ServiceOptions options);

  SvcStatus CreateStream(const CreateStreamRequest& req);
  SvcStatus DeleteStream(const DeleteStreamRequest& req);
  SvcResult<DescribeStreamResult> DescribeStream(const DescribeStreamRequest& req);
  SvcResult<DescribeStreamSummaryResult> DescribeStreamSummary(const StreamRef& ref);
  SvcResult<ListStreamsResult> ListStreams(const ListStreamsRequest& req);
  SvcResult<ListShardsResult> ListShards(const ListShardsRequest& req);
  SvcStatus IncreaseStreamRetentionPeriod(const RetentionRequest& req);
  SvcStatus DecreaseStreamRetentionPeriod(const RetentionRequest& req);
  SvcStatus AddTagsToStream(const AddTagsRequest& req);
  SvcStatus RemoveTagsFromStream(const RemoveTagsRequest& req);
  SvcResult<ListTagsForStreamResult> ListTagsForStream(const ListTagsForStreamRequest& req);
  // By resource ARN: a stream ARN or a consumer ARN.
  SvcStatus TagResource(const std::string& arn, const TagMap& tags);
  SvcStatus UntagResource(const std::string& arn, const std::vector<std::string>& keys);
  SvcResult<std::vector<std::pair<std::string, std::string>>> ListTagsForResource(
      const std::string& arn);
  SvcResult<EnhancedMonitoringResult> EnableEnhancedMonitoring(const EnhancedMonitoringRequest& r);
  SvcResult<EnhancedMonitoringResult> DisableEnhancedMonitoring(const EnhancedMonitoringRequest& r);
  SvcResult<DescribeLimitsResult> DescribeLimits();
  // Resharding and capacity modes (rules: service/reshard.h, docs/design/resharding.md).
  SvcStatus SplitShard(const SplitShardRequest& req);
  SvcStatus MergeShards(const MergeShardsRequest& req);
  SvcResult<UpdateShardCountResult> UpdateShardCount(const UpdateShardCountRequest& req);
  SvcStatus UpdateStreamMode(const UpdateStreamModeRequest& req);
  // One step of the on-demand autoscaler (docs/design/autoscaling.md) as one ReshardCmd, with
  // the same planners as SplitShard, MergeShards and UpdateShardCount but neither the shard
  // quota nor the daily UpdateShardCount limit. Fails (and changes nothing) unless stream
  // `name` is still revision `revision`, ON_DEMAND and ACTIVE and the step's shards are open.
  SvcStatus ApplyOnDemandScaling(const std::string& name, uint64_t revision,
                                 const ScalingAction& action);

  // Enhanced fan-out consumers (stream_consumers.cc). A consumer belongs to one stream
  // revision: it is CREATING for consumer_create_delay_ms, then ACTIVE; deregistering makes it
  // DELETING for consumer_delete_delay_ms, then it is gone. Deleting the stream removes it.
  SvcResult<ConsumerInfo> RegisterStreamConsumer(const RegisterStreamConsumerRequest& req);
  SvcStatus DeregisterStreamConsumer(const ConsumerRef& ref);
  SvcResult<ConsumerInfo> DescribeStreamConsumer(const ConsumerRef& ref);
  SvcResult<ListStreamConsumersResult> ListStreamConsumers(const ListStreamConsumersRequest& req);
  // By consumer ARN: kResourceNotFound (AWS text) if no such consumer; the consumer in any status.
  SvcResult<ConsumerInfo> FindConsumer(const std::string& consumer_arn);

  // Completes every CREATING/UPDATING/DELETING whose time has come (also after a restart:
  // a stream is never left stuck). Returns when the next pending transition is due.
  std::optional<int64_t> CompleteDueTransitions();

  // The current snapshot of a stream, for the data plane (any status; callers decide).
  // ResourceNotFound when the stream does not exist.
  SvcResult<std::shared_ptr<const StreamView>> View(const StreamRef& ref);
  // Snapshots of every stream.
  std::vector<std::shared_ptr<const StreamView>> AllViews();
  // By name only; nullptr when there is no such stream.
  std::shared_ptr<const StreamView> ViewByName(const std::string& name);

  // Called (under the service's lock) after a stream has been removed from the catalog, so
  // its data can be dropped. Set before the service is shared between threads.
  void SetStreamRemovedHook(std::function<void(uint64_t revision)> hook) {
    on_removed_ = std::move(hook);
  }

  // Called (under the service's lock) right after a reshard has been committed, with the
  // shards it closed and the ones it created closed (intermediates), so the data plane can
  // seal their logs. Set before the service is shared between threads.
  void SetShardsClosedHook(
      std::function<void(uint64_t revision, const std::vector<uint32_t>& shards)> hook) {
    on_shards_closed_ = std::move(hook);
  }

  std::string StreamArn(const std::string& name) const;
  const ServiceOptions& options() const { return options_; }

 private:
  using Lock = std::unique_lock<std::mutex>;

  // A consumer found in the catalog, with its stream. Valid until the next commit.
  struct ConsumerHit {
    const meta::StreamRecord* stream;
    const meta::ConsumerRecord* consumer;
  };

  // REQUIRES: mu_ held (for all private members below).
  std::optional<int64_t> CompleteDueLocked(int64_t now);
  SvcResult<const meta::StreamRecord*> Resolve(const StreamRef& ref) const;
  std::shared_ptr<const StreamView> ViewLocked(const meta::StreamRecord& s);
  SvcResult<const meta::StreamRecord*> ResolveArn(const std::string& arn) const;
  SvcStatus Commit(const meta::Command& cmd);
  SvcStatus ChangeRetention(const RetentionRequest& req, bool increase);
  SvcStatus SetTags(const meta::StreamRecord& s, const TagMap& tags);
  // Checks tag text and the per-resource count (`total_after` tags once applied); messages
  // name the resource as "<kind> <name>" (kind "stream" or "consumer").
  SvcStatus ValidateTags(const std::string& name, const TagMap& tags, size_t total_after,
                         std::string_view kind = "stream") const;
  SvcStatus UnsetTags(const meta::StreamRecord& s, const std::vector<std::string>& keys);
  SvcResult<EnhancedMonitoringResult> ChangeMonitoring(const EnhancedMonitoringRequest& r,
                                                       bool enable);
  SvcResult<ListShardsResult> ListShardsPage(const meta::StreamRecord& s, const ShardFilter& f,
                                             std::optional<uint32_t> after_index,
                                             int64_t max_results, int64_t now);
  // Opens a NextToken of `kind` with `fields` fields (the kind first); the Kinesis errors
  // for expired and invalid tokens otherwise.
  SvcResult<std::vector<std::string>> OpenNextToken(const std::string& token,
                                                    std::string_view kind, size_t fields,
                                                    int64_t now) const;
  // Consumers (stream_consumers.cc).
  SvcResult<ConsumerHit> ResolveConsumer(const ConsumerRef& ref) const;
  SvcResult<ConsumerHit> ResolveConsumerArn(const std::string& arn) const;
  ConsumerInfo ConsumerView(const meta::StreamRecord& s, const meta::ConsumerRecord& c) const;
  std::string ConsumerArn(const std::string& stream, const meta::ConsumerRecord& c) const;
  // The commands that finish the due consumer transitions of `s` (CREATING -> ACTIVE, the
  // end of DELETING); the earliest pending one's time lowers `next`.
  void DueConsumerCommands(const meta::StreamRecord& s, int64_t now,
                           std::vector<meta::Command>* due, std::optional<int64_t>* next) const;
  // DeleteStream's consumer rule: ResourceInUse when consumers are registered and `enforce`
  // is false; with `enforce`, puts them in DELETING until `until_ms`.
  SvcStatus RetireConsumers(const meta::StreamRecord& s, bool enforce, int64_t until_ms);
  // What `cmd` removes, as removed_consumer_s_ entries (before it is applied).
  std::vector<std::pair<std::string, int64_t>> ConsumersRemovedBy(const meta::Command& cmd) const;
  // A new consumer's creation time: now, or later if its ARN would repeat a removed one's.
  int64_t ConsumerCreationMs(const std::string& stream, const std::string& consumer, int64_t now);
  SvcStatus TagConsumer(const std::string& arn, const TagMap& tags);
  SvcStatus UntagConsumer(const std::string& arn, const std::vector<std::string>& keys);
  StreamInfo Info(const meta::StreamRecord& s) const;
  ShardInfo ShardView(const meta::ShardRecord& shard) const;
  bool Expired(const meta::StreamRecord& s, const meta::ShardRecord& shard, int64_t now) const;
  int64_t OpenProvisionedShards() const;
  // LimitExceededException when one more on-demand stream would pass the account quota.
  SvcStatus CheckOnDemandQuota() const;
  // The reshard planner's view of `s` and the account (service/reshard.h).
  ReshardContext ContextFor(const meta::StreamRecord& s, int64_t now) const;
  std::string NotFound(const std::string& name) const;
  std::string NotActive(const meta::StreamRecord& s) const;

  meta::Catalog& catalog_;
  Clock& clock_;
  const ServiceOptions options_;
  mutable std::mutex mu_;
  // Snapshots built on demand; a commit drops the snapshot of the stream it changed.
  std::map<std::string, std::shared_ptr<const StreamView>, std::less<>> views_;  // GUARDED_BY(mu_)
  // No transition is due before this time (0: unknown, recompute).
  int64_t next_due_ms_ = 0;  // GUARDED_BY(mu_)
  // The creation second of consumers removed recently, by "<stream>/<consumer>": a consumer
  // registered again under that name within the same second gets the next second as its
  // creation time, so its ARN differs from the removed one's (ARNs hold whole seconds).
  std::map<std::string, int64_t> removed_consumer_s_;  // GUARDED_BY(mu_)
  std::function<void(uint64_t)> on_removed_;
  std::function<void(uint64_t, const std::vector<uint32_t>&)> on_shards_closed_;
};

// The Kinesis name of a stream status ("CREATING", ...).
const char* StreamStatusName(meta::StreamStatus s);
// "shardId-%012u".
std::string ShardIdString(uint32_t index);
// AWS's lenient reading of a shard id argument: the decimal after the first '-' (or the whole
// text without '-'), 0..2147483647. nullopt when it is not such a number.
std::optional<uint32_t> ParseShardId(std::string_view text);

}  // namespace shoal::service
