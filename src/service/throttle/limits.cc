#include "service/throttle/limits.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace shoal::service {
namespace {

// AWS's control-plane rates (kinesis-api-spec.md §3.2).
struct OpEntry {
  std::string_view op;
  double per_sec;
  bool per_stream;
};

constexpr OpEntry kControlPlaneRates[] = {
    {"CreateStream", 5, false},
    {"DeleteStream", 5, false},
    {"AddTagsToStream", 5, false},
    {"RemoveTagsFromStream", 5, false},
    {"ListTagsForStream", 5, false},
    {"ListStreams", 5, false},
    {"MergeShards", 5, false},
    {"SplitShard", 5, false},
    {"RegisterStreamConsumer", 5, false},
    {"IncreaseStreamRetentionPeriod", 5, false},
    {"DecreaseStreamRetentionPeriod", 5, false},
    {"EnableEnhancedMonitoring", 5, false},
    {"DisableEnhancedMonitoring", 5, false},
    {"DescribeStream", 10, false},
    {"DescribeStreamSummary", 20, false},
    {"DescribeStreamConsumer", 20, true},
    {"DeregisterStreamConsumer", 5, true},
    {"ListStreamConsumers", 5, true},
    {"ListShards", 1000, true},
    {"DescribeLimits", 1, false},
    {"UpdateShardCount", 10, false},
    {"UpdateStreamWarmThroughput", 5, false},
    {"DescribeAccountSettings", 5, false},
    {"UpdateAccountSettings", 5, false},
};

}  // namespace

std::optional<LimitProfile> LimitProfile::Parse(std::string_view text) {
  if (text == "aws") return LimitProfile{Kind::kAws, 1};
  if (text == "off") return LimitProfile{Kind::kOff, 1};
  constexpr std::string_view kScaled = "scaled:";
  if (text.substr(0, kScaled.size()) != kScaled) return std::nullopt;
  std::string number(text.substr(kScaled.size()));
  if (number.empty()) return std::nullopt;
  char* end = nullptr;
  double factor = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !std::isfinite(factor) || factor <= 0 ||
      factor > 1e6) {
    return std::nullopt;
  }
  return LimitProfile{Kind::kScaled, factor};
}

std::string LimitProfile::ToString() const {
  switch (kind) {
    case Kind::kAws: return "aws";
    case Kind::kOff: return "off";
    case Kind::kScaled: return fmt::format("scaled:{}", factor);
  }
  return "aws";
}

ShardLimits LimitProfile::Shard() const {
  ShardLimits l;
  l.enabled = enabled();
  double s = scale();
  l.write_bytes *= s;
  l.write_records *= s;
  l.read_bytes *= s;
  l.read_calls *= s;
  l.iterator_calls *= s;
  return l;
}

std::optional<LimitProfile::OpRate> LimitProfile::ControlPlaneRate(std::string_view op) const {
  if (!enabled()) return std::nullopt;
  for (const auto& e : kControlPlaneRates) {
    if (e.op == op) return OpRate{e.per_sec * scale(), e.per_stream};
  }
  return std::nullopt;
}

}  // namespace shoal::service
