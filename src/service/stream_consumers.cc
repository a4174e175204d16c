// StreamService: enhanced fan-out consumers (RegisterStreamConsumer, DeregisterStreamConsumer,
// DescribeStreamConsumer, ListStreamConsumers, FindConsumer), their CREATING/DELETING
// transitions, DeleteStream's EnforceConsumerDeletion rule and tags on consumer ARNs.
//
// Rules (kinesis-api-spec.md, RegisterStreamConsumer and §3.8/§3.14):
//   * a consumer name is unique per stream in any status (ResourceInUseException);
//   * at most max_consumers_per_stream (20) per stream, and at most max_creating_consumers (5)
//     CREATING at once in the account (LimitExceededException);
//   * registering and listing need the stream ACTIVE or UPDATING (ResourceInUseException);
//     describing and deregistering work in any stream status (their model has no
//     ResourceInUseException);
//   * the ARN is <stream ARN>/consumer/<name>:<creation epoch seconds>; an ARN whose creation
//     time is not the current consumer's names nothing (ResourceNotFoundException);
//   * deregistering a CREATING or ACTIVE consumer makes it DELETING; deregistering a DELETING
//     one succeeds without change;
//   * a name registered again gets a new ARN even within the second its predecessor was
//     removed (the creation time moves to the next second; remembered in memory only, so a
//     restart within that second could repeat an ARN).

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "service/page_token.h"
#include "service/stream_service.h"

namespace shoal::service {

using meta::ConsumerRecord;
using meta::StreamRecord;
using meta::StreamStatus;

namespace {

constexpr int64_t kListStreamConsumersMaxResults = 100;
constexpr char kListConsumersToken[] = "ListStreamConsumers";
constexpr std::string_view kConsumerInfix = "/consumer/";

bool RegistersConsumers(const StreamRecord& s) {
  return s.status == StreamStatus::kActive || s.status == StreamStatus::kUpdating;
}

// The parts of a consumer ARN after "...:stream/": <stream>/consumer/<name>:<seconds>.
struct ConsumerArnParts {
  std::string stream;
  std::string consumer;
  int64_t created_s = 0;
};

std::optional<ConsumerArnParts> SplitConsumerArn(std::string_view rest) {
  size_t infix = rest.find(kConsumerInfix);
  if (infix == std::string_view::npos || infix == 0) return std::nullopt;
  std::string_view tail = rest.substr(infix + kConsumerInfix.size());
  size_t colon = tail.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view digits = tail.substr(colon + 1);
  ConsumerArnParts parts{std::string(rest.substr(0, infix)), std::string(tail.substr(0, colon))};
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), parts.created_s);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return parts;
}

// AWS's text for a change to a consumer that is CREATING or DELETING.
std::string ConsumerNotActive(const StreamRecord& s, const ConsumerRecord& c,
                              const std::string& account) {
  return fmt::format("Consumer {} with creation timestamp {} under stream {} and account {} is "
                     "not in ACTIVE status.",
                     c.name, c.created_ms / 1000, s.name, account);
}

}  // namespace

std::string StreamService::ConsumerArn(const std::string& stream, const ConsumerRecord& c) const {
  return fmt::format("{}/consumer/{}:{}", StreamArn(stream), c.name, c.created_ms / 1000);
}

ConsumerInfo StreamService::ConsumerView(const StreamRecord& s, const ConsumerRecord& c) const {
  ConsumerInfo i;
  i.arn = ConsumerArn(s.name, c);
  i.name = c.name;
  i.stream_name = s.name;
  i.stream_revision = s.revision;
  i.status = c.status;
  i.created_ms = c.created_ms;
  i.stream_arn = StreamArn(s.name);
  return i;
}

SvcResult<StreamService::ConsumerHit> StreamService::ResolveConsumerArn(
    const std::string& arn) const {
  SvcResult<ConsumerHit> not_found{Errc::kResourceNotFound,
                                   fmt::format("Consumer {} not found.", arn)};
  std::string prefix = StreamArn("");
  if (arn.rfind(prefix, 0) != 0) return not_found;  // another account, Region or partition
  auto parts = SplitConsumerArn(std::string_view(arn).substr(prefix.size()));
  if (!parts) return not_found;
  const StreamRecord* s = catalog_.FindStream(parts->stream);
  if (s == nullptr) return not_found;
  auto it = s->consumers.find(parts->consumer);
  if (it == s->consumers.end() || it->second.created_ms / 1000 != parts->created_s) {
    return not_found;
  }
  return ConsumerHit{s, &it->second};
}

SvcResult<StreamService::ConsumerHit> StreamService::ResolveConsumer(const ConsumerRef& ref) const {
  if (ref.consumer_arn) {
    auto hit = ResolveConsumerArn(*ref.consumer_arn);
    if (!hit.ok()) return hit;
    if (ref.stream_arn && *ref.stream_arn != StreamArn(hit->stream->name)) {
      return {Errc::kInvalidArgument,
              fmt::format("ConsumerARN {} and StreamARN {} do not refer to the same stream.",
                          *ref.consumer_arn, *ref.stream_arn)};
    }
    if (ref.consumer_name && *ref.consumer_name != hit->consumer->name) {
      return {Errc::kInvalidArgument,
              fmt::format("ConsumerARN {} and ConsumerName {} do not refer to the same consumer.",
                          *ref.consumer_arn, *ref.consumer_name)};
    }
    return hit;
  }
  if (!ref.stream_arn || !ref.consumer_name) {
    return {Errc::kInvalidArgument,
            "Either ConsumerARN or both StreamARN and ConsumerName must be provided."};
  }
  auto s = ResolveArn(*ref.stream_arn);
  if (!s.ok()) return s.status();
  auto it = (*s)->consumers.find(*ref.consumer_name);
  if (it == (*s)->consumers.end()) {
    return {Errc::kResourceNotFound,
            fmt::format("Consumer {} under stream {} under account {} not found.",
                        *ref.consumer_name, (*s)->name, options_.account_id)};
  }
  return ConsumerHit{*s, &it->second};
}

SvcResult<ConsumerInfo> StreamService::RegisterStreamConsumer(
    const RegisterStreamConsumerRequest& req) {
  Lock lock(mu_);
  int64_t now = clock_.NowMs();
  CompleteDueLocked(now);
  auto found = ResolveArn(req.stream_arn);
  if (!found.ok()) return found.status();
  const StreamRecord& s = **found;
  if (!RegistersConsumers(s)) {
    return {Errc::kResourceInUse,
            fmt::format("Stream {} under account {} not ACTIVE or UPDATING, instead in state {}",
                        s.name, options_.account_id, StreamStatusName(s.status))};
  }
  if (s.consumers.contains(req.consumer_name)) {
    return {Errc::kResourceInUse,
            fmt::format("Consumer {} under stream {} under account {} already exists.",
                        req.consumer_name, s.name, options_.account_id)};
  }
  if (static_cast<int64_t>(s.consumers.size()) >= options_.max_consumers_per_stream) {
    return {Errc::kLimitExceeded,
            fmt::format("Stream {} under account {} already has {} registered consumers, the "
                        "most a stream can have.",
                        s.name, options_.account_id, options_.max_consumers_per_stream)};
  }
  int64_t creating = 0;
  for (const auto& [name, stream] : catalog_.streams()) {
    for (const auto& [c, consumer] : stream.consumers)
      creating += consumer.status == meta::ConsumerStatus::kCreating;
  }
  if (options_.consumer_create_delay_ms > 0 && creating >= options_.max_creating_consumers) {
    return {Errc::kLimitExceeded,
            fmt::format("Rate exceeded for account {}: at most {} consumers can be CREATING at "
                        "once.",
                        options_.account_id, options_.max_creating_consumers)};
  }
  SHOAL_RETURN_IF_ERROR(ValidateTags(req.consumer_name, req.tags, req.tags.size(), "consumer"));
  ConsumerRecord c;
  c.name = req.consumer_name;
  c.created_ms = ConsumerCreationMs(s.name, c.name, now);
  bool instant = options_.consumer_create_delay_ms <= 0;
  c.status = instant ? meta::ConsumerStatus::kActive : meta::ConsumerStatus::kCreating;
  c.status_until_ms = instant ? 0 : now + options_.consumer_create_delay_ms;
  c.tags = req.tags;
  ConsumerInfo info = ConsumerView(s, c);
  SHOAL_RETURN_IF_ERROR(Commit(meta::RegisterConsumerCmd{s.name, s.revision, std::move(c)}));
  return info;
}

SvcStatus StreamService::DeregisterStreamConsumer(const ConsumerRef& ref) {
  Lock lock(mu_);
  int64_t now = clock_.NowMs();
  CompleteDueLocked(now);
  auto hit = ResolveConsumer(ref);
  if (!hit.ok()) return hit.status();
  const StreamRecord& s = *hit->stream;
  const ConsumerRecord& c = *hit->consumer;
  if (c.status == meta::ConsumerStatus::kDeleting) return {};
  if (options_.consumer_delete_delay_ms <= 0) {
    return Commit(meta::DeregisterConsumerCmd{s.name, s.revision, c.name, c.created_ms});
  }
  return Commit(meta::SetConsumerStatusCmd{s.name, s.revision, c.name, c.created_ms,
                                           meta::ConsumerStatus::kDeleting,
                                           now + options_.consumer_delete_delay_ms});
}

SvcResult<ConsumerInfo> StreamService::DescribeStreamConsumer(const ConsumerRef& ref) {
  Lock lock(mu_);
  CompleteDueLocked(clock_.NowMs());
  auto hit = ResolveConsumer(ref);
  if (!hit.ok()) return hit.status();
  return ConsumerView(*hit->stream, *hit->consumer);
}

SvcResult<ConsumerInfo> StreamService::FindConsumer(const std::string& consumer_arn) {
  Lock lock(mu_);
  CompleteDueLocked(clock_.NowMs());
  auto hit = ResolveConsumerArn(consumer_arn);
  if (!hit.ok()) return hit.status();
  return ConsumerView(*hit->stream, *hit->consumer);
}

SvcResult<ListStreamConsumersResult> StreamService::ListStreamConsumers(
    const ListStreamConsumersRequest& req) {
  Lock lock(mu_);
  int64_t now = clock_.NowMs();
  CompleteDueLocked(now);
  auto found = ResolveArn(req.stream_arn);
  if (!found.ok()) return found.status();
  const StreamRecord& s = **found;
  if (req.stream_creation_timestamp_ms &&
      *req.stream_creation_timestamp_ms / 1000 != s.created_ms / 1000) {
    return {Errc::kResourceNotFound, NotFound(s.name)};
  }
  if (!RegistersConsumers(s)) {
    return {Errc::kResourceInUse,
            fmt::format("Stream {} under account {} not ACTIVE or UPDATING, instead in state {}",
                        s.name, options_.account_id, StreamStatusName(s.status))};
  }
  std::optional<std::string> after;
  if (req.next_token) {
    // Fields: kind, stream name, stream revision, the last consumer name listed.
    auto fields = OpenNextToken(*req.next_token, kListConsumersToken, 4, now);
    if (!fields.ok()) return fields.status();
    if ((*fields)[1] != s.name) return {Errc::kInvalidArgument, "Invalid NextToken."};
    if ((*fields)[2] != std::to_string(s.revision)) {
      return {Errc::kResourceNotFound, NotFound(s.name)};  // the listed stream was deleted
    }
    after = (*fields)[3];
  }
  int64_t max_results = std::min(req.max_results.value_or(kListStreamConsumersMaxResults),
                                 kListStreamConsumersMaxResults);
  ListStreamConsumersResult r;
  auto it = after ? s.consumers.upper_bound(*after) : s.consumers.begin();
  for (; it != s.consumers.end(); ++it) {
    if (static_cast<int64_t>(r.consumers.size()) == max_results) {
      TokenFields fields;
      fields.Add(kListConsumersToken).Add(s.name).AddInt(static_cast<int64_t>(s.revision))
          .Add(r.consumers.back().name);
      r.next_token = SealPageToken(fields, now, options_.token_key);
      break;
    }
    r.consumers.push_back(ConsumerView(s, it->second));
  }
  return r;
}

std::vector<std::pair<std::string, int64_t>> StreamService::ConsumersRemovedBy(
    const meta::Command& cmd) const {
  std::vector<std::pair<std::string, int64_t>> out;
  const StreamRecord* s = catalog_.FindStream(meta::CommandStreamName(cmd));
  if (s == nullptr) return out;
  if (const auto* c = std::get_if<meta::DeregisterConsumerCmd>(&cmd)) {
    out.emplace_back(s->name + "/" + c->consumer, c->consumer_created_ms / 1000);
  } else if (std::holds_alternative<meta::DeleteStreamCmd>(cmd)) {
    for (const auto& [name, c] : s->consumers)
      out.emplace_back(s->name + "/" + name, c.created_ms / 1000);
  }
  return out;
}

int64_t StreamService::ConsumerCreationMs(const std::string& stream, const std::string& consumer,
                                          int64_t now) {
  // Entries from before this second can no longer collide.
  std::erase_if(removed_consumer_s_, [&](const auto& kv) { return kv.second < now / 1000; });
  auto it = removed_consumer_s_.find(stream + "/" + consumer);
  if (it == removed_consumer_s_.end() || now / 1000 > it->second) return now;
  return (it->second + 1) * 1000;
}

void StreamService::DueConsumerCommands(const StreamRecord& s, int64_t now,
                                        std::vector<meta::Command>* due,
                                        std::optional<int64_t>* next) const {
  for (const auto& [name, c] : s.consumers) {
    if (c.status == meta::ConsumerStatus::kActive) continue;
    if (c.status_until_ms > now) {
      *next = *next ? std::min(**next, c.status_until_ms) : c.status_until_ms;
      continue;
    }
    if (c.status == meta::ConsumerStatus::kDeleting) {
      due->push_back(meta::DeregisterConsumerCmd{s.name, s.revision, c.name, c.created_ms});
    } else {
      due->push_back(meta::SetConsumerStatusCmd{s.name, s.revision, c.name, c.created_ms,
                                                meta::ConsumerStatus::kActive, 0});
    }
  }
}

SvcStatus StreamService::RetireConsumers(const StreamRecord& s, bool enforce, int64_t until_ms) {
  std::vector<const ConsumerRecord*> live;
  for (const auto& [name, c] : s.consumers) {
    if (c.status != meta::ConsumerStatus::kDeleting) live.push_back(&c);
  }
  if (live.empty()) return {};
  if (!enforce) {
    return {Errc::kResourceInUse,
            fmt::format("Stream {} under account {} has {} registered consumer(s). Deregister "
                        "them, or set EnforceConsumerDeletion to true to delete them with the "
                        "stream.",
                        s.name, options_.account_id, live.size())};
  }
  // Each consumer's DELETING is its own command; a crash part-way leaves some consumers
  // DELETING under a stream that is not, which completes like any deregistration.
  std::vector<meta::Command> cmds;
  for (const ConsumerRecord* c : live) {
    cmds.push_back(meta::SetConsumerStatusCmd{s.name, s.revision, c->name, c->created_ms,
                                              meta::ConsumerStatus::kDeleting, until_ms});
  }
  for (const auto& cmd : cmds) SHOAL_RETURN_IF_ERROR(Commit(cmd));
  return {};
}

SvcStatus StreamService::TagConsumer(const std::string& arn, const TagMap& tags) {
  auto hit = ResolveConsumerArn(arn);
  if (!hit.ok()) return hit.status();
  const StreamRecord& s = *hit->stream;
  const ConsumerRecord& c = *hit->consumer;
  if (c.status != meta::ConsumerStatus::kActive) {
    return {Errc::kResourceInUse, ConsumerNotActive(s, c, options_.account_id)};
  }
  TagMap merged = c.tags;
  for (const auto& [k, v] : tags) merged[k] = v;
  SHOAL_RETURN_IF_ERROR(ValidateTags(c.name, tags, merged.size(), "consumer"));
  if (merged == c.tags) return {};
  return Commit(meta::SetConsumerTagsCmd{s.name, s.revision, c.name, c.created_ms, merged});
}

SvcStatus StreamService::UntagConsumer(const std::string& arn,
                                       const std::vector<std::string>& keys) {
  auto hit = ResolveConsumerArn(arn);
  if (!hit.ok()) return hit.status();
  const StreamRecord& s = *hit->stream;
  const ConsumerRecord& c = *hit->consumer;
  if (c.status != meta::ConsumerStatus::kActive) {
    return {Errc::kResourceInUse, ConsumerNotActive(s, c, options_.account_id)};
  }
  TagMap remaining = c.tags;
  for (const auto& k : keys) remaining.erase(k);
  if (remaining == c.tags) return {};
  return Commit(meta::SetConsumerTagsCmd{s.name, s.revision, c.name, c.created_ms, remaining});
}

}  // namespace shoal::service
