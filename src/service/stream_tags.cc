// StreamService: tags (stream-named and ARN-named) and enhanced monitoring settings.

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "service/stream_service.h"

namespace shoal::service {

using meta::StreamRecord;
using meta::StreamStatus;

namespace {

constexpr size_t kMaxTagsPerStream = 50;
constexpr int64_t kDefaultListTagsLimit = 50;

const std::vector<std::string>& AllMetrics() {
  static const std::vector<std::string> kAll = {
      "IncomingBytes",  "IncomingRecords", "IteratorAgeMilliseconds",
      "OutgoingBytes",  "OutgoingRecords", "ReadProvisionedThroughputExceeded",
      "WriteProvisionedThroughputExceeded"};
  return kAll;
}

// Tag text as AWS checks it (kinesalite's production-validated rules): Unicode letters,
// digits, white space and _ . / = + - @ : pass; '%' is rejected with its own message; control
// characters (tab, newline) and other punctuation are invalid. Non-ASCII code points are taken
// as letters.
enum class TagText { kOk, kPercent, kInvalid };

TagText CheckTagText(std::string_view text) {
  TagText result = TagText::kOk;
  for (unsigned char c : text) {
    if (c >= 0x80) continue;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) continue;
    switch (c) {
      case ' ': case '_': case '.': case '/': case '=': case '+': case '-': case '@': case ':':
        continue;
      case '%':
        result = TagText::kPercent;
        continue;
      default:
        return TagText::kInvalid;
    }
  }
  return result;
}

// Resource ARNs (tags) name a consumer when they hold "/consumer/" after the stream name.
bool IsConsumerArn(const std::string& arn) {
  size_t stream = arn.find(":stream/");
  return stream != std::string::npos && arn.find("/consumer/", stream) != std::string::npos;
}

bool Modifiable(const StreamRecord& s) {
  return s.status == StreamStatus::kActive || s.status == StreamStatus::kUpdating;
}

}  // namespace

SvcStatus StreamService::ValidateTags(const std::string& name, const TagMap& tags,
                                      size_t total_after, std::string_view kind) const {
  TagText worst = TagText::kOk;
  for (const auto& [k, v] : tags) worst = std::max({worst, CheckTagText(k), CheckTagText(v)});
  if (worst == TagText::kInvalid) {
    return {Errc::kInvalidArgument,
            "Some tags contain invalid characters. Valid characters: Unicode letters, digits, "
            "white space, _ . / = + - % @ :."};
  }
  if (worst == TagText::kPercent) {
    return {Errc::kInvalidArgument,
            fmt::format("Failed to add tags to {} {} under account {} because some tags "
                        "contained illegal characters. The allowed characters are Unicode "
                        "letters, white-spaces, '_',',','/','=','+','-','@',':'.",
                        kind, name, options_.account_id)};
  }
  if (total_after > kMaxTagsPerStream) {
    return {Errc::kInvalidArgument,
            fmt::format("Failed to add tags to {} {} under account {} because a given "
                        "{} cannot have more than {} tags associated with it.",
                        kind, name, options_.account_id, kind, kMaxTagsPerStream)};
  }
  return {};
}

SvcStatus StreamService::SetTags(const StreamRecord& s, const TagMap& tags) {
  if (!Modifiable(s)) return {Errc::kResourceInUse, NotActive(s)};
  size_t total = s.tags.size();
  for (const auto& [k, v] : tags) total += s.tags.count(k) ? 0 : 1;
  SHOAL_RETURN_IF_ERROR(ValidateTags(s.name, tags, total));
  return Commit(meta::AddTagsCmd{s.name, s.revision, tags});
}

SvcStatus StreamService::UnsetTags(const StreamRecord& s, const std::vector<std::string>& keys) {
  if (!Modifiable(s)) return {Errc::kResourceInUse, NotActive(s)};
  std::vector<std::string> present;
  for (const auto& k : keys)
    if (s.tags.count(k)) present.push_back(k);
  if (present.empty()) return {};
  return Commit(meta::RemoveTagsCmd{s.name, s.revision, std::move(present)});
}

SvcStatus StreamService::AddTagsToStream(const AddTagsRequest& req) {
  Lock lock(mu_);
  CompleteDueLocked(clock_.NowMs());
  auto s = Resolve(req.stream);
  if (!s.ok()) return s.status();
  return SetTags(**s, req.tags);
}

SvcStatus StreamService::RemoveTagsFromStream(const RemoveTagsRequest& req) {
  Lock lock(mu_);
  CompleteDueLocked(clock_.NowMs());
  auto s = Resolve(req.stream);
  if (!s.ok()) return s.status();
  return UnsetTags(**s, req.keys);
}

SvcResult<ListTagsForStreamResult> StreamService::ListTagsForStream(
    const ListTagsForStreamRequest& req) {
  Lock lock(mu_);
  CompleteDueLocked(clock_.NowMs());
  auto s = Resolve(req.stream);
  if (!s.ok()) return s.status();
  const auto& tags = (*s)->tags;
  int64_t limit = req.limit.value_or(kDefaultListTagsLimit);
  ListTagsForStreamResult r;
  auto it = req.exclusive_start_tag_key ? tags.upper_bound(*req.exclusive_start_tag_key)
                                        : tags.begin();
  for (; it != tags.end(); ++it) {
    if (static_cast<int64_t>(r.tags.size()) == limit) {
      r.has_more_tags = true;
      break;
    }
    r.tags.emplace_back(it->first, it->second);
  }
  return r;
}

SvcStatus StreamService::TagResource(const std::string& arn, const TagMap& tags) {
  Lock lock(mu_);
  CompleteDueLocked(clock_.NowMs());
  if (IsConsumerArn(arn)) return TagConsumer(arn, tags);
  auto s = ResolveArn(arn);
  if (!s.ok()) return s.status();
  return SetTags(**s, tags);
}

SvcStatus StreamService::UntagResource(const std::string& arn,
                                       const std::vector<std::string>& keys) {
  Lock lock(mu_);
  CompleteDueLocked(clock_.NowMs());
  if (IsConsumerArn(arn)) return UntagConsumer(arn, keys);
  auto s = ResolveArn(arn);
  if (!s.ok()) return s.status();
  return UnsetTags(**s, keys);
}

SvcResult<std::vector<std::pair<std::string, std::string>>> StreamService::ListTagsForResource(
    const std::string& arn) {
  Lock lock(mu_);
  CompleteDueLocked(clock_.NowMs());
  if (IsConsumerArn(arn)) {
    auto hit = ResolveConsumerArn(arn);
    if (!hit.ok()) return hit.status();
    const auto& tags = hit->consumer->tags;
    return std::vector<std::pair<std::string, std::string>>(tags.begin(), tags.end());
  }
  auto s = ResolveArn(arn);
  if (!s.ok()) return s.status();
  return std::vector<std::pair<std::string, std::string>>((*s)->tags.begin(), (*s)->tags.end());
}

SvcResult<EnhancedMonitoringResult> StreamService::EnableEnhancedMonitoring(
    const EnhancedMonitoringRequest& r) {
  return ChangeMonitoring(r, /*enable=*/true);
}

SvcResult<EnhancedMonitoringResult> StreamService::DisableEnhancedMonitoring(
    const EnhancedMonitoringRequest& r) {
  return ChangeMonitoring(r, /*enable=*/false);
}

SvcResult<EnhancedMonitoringResult> StreamService::ChangeMonitoring(
    const EnhancedMonitoringRequest& r, bool enable) {
  Lock lock(mu_);
  CompleteDueLocked(clock_.NowMs());
  auto s = Resolve(r.stream);
  if (!s.ok()) return s.status();
  const StreamRecord& stream = **s;
  if (!Modifiable(stream)) return {Errc::kResourceInUse, NotActive(stream)};
  std::set<std::string> requested;
  for (const auto& m : r.metrics) {
    if (m == "ALL") {
      requested.insert(AllMetrics().begin(), AllMetrics().end());
    } else {
      requested.insert(m);
    }
  }
  std::set<std::string> desired(stream.shard_level_metrics.begin(),
                                stream.shard_level_metrics.end());
  for (const auto& m : requested) {
    if (enable) {
      desired.insert(m);
    } else {
      desired.erase(m);
    }
  }
  EnhancedMonitoringResult out;
  out.stream_name = stream.name;
  out.stream_arn = StreamArn(stream.name);
  out.current = stream.shard_level_metrics;
  out.desired.assign(desired.begin(), desired.end());
  if (out.desired != out.current) {
    SHOAL_RETURN_IF_ERROR(
        Commit(meta::SetShardLevelMetricsCmd{stream.name, stream.revision, out.desired}));
  }
  return out;
}

}  // namespace shoal::service
