#pragma once
// Limit profiles: the throughput and request-rate limits shoal enforces, chosen at start with
// `shoal serve --limits aws|off|scaled:<factor>` (docs/design/limits.md).
//
//   aws        AWS's numbers (kinesis-api-spec.md §3.1, §3.2): the default.
//   off        no throttling at all.
//   scaled:N   every per-shard and control-plane rate of `aws` multiplied by N (N > 0, may be
//              fractional), for people who run shoal as their own high-capacity service.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shoal::service {

// Per-shard limits (all rates per second; every bucket holds one second's worth).
struct ShardLimits {
  bool enabled = false;
  double write_bytes = 1024 * 1024;   // partition key + data
  double write_records = 1000;
  double read_bytes = 2 * 1024 * 1024;  // GetRecords, shared by all readers of the shard
  double read_calls = 5;                // GetRecords calls
  double iterator_calls = 5;            // GetShardIterator calls
};

struct LimitProfile {
  enum class Kind { kAws, kOff, kScaled };
  Kind kind = Kind::kAws;
  double factor = 1;  // kScaled only

  // "aws", "off" or "scaled:<factor>" with 0 < factor ≤ 1e6; nullopt otherwise.
  static std::optional<LimitProfile> Parse(std::string_view text);
  std::string ToString() const;

  bool enabled() const { return kind != Kind::kOff; }
  double scale() const { return kind == Kind::kScaled ? factor : 1.0; }
  ShardLimits Shard() const;
  // The control-plane rate (calls per second) of operation `op`, and whether it is counted per
  // stream (else per account). nullopt: the operation is not rate-limited (data-plane
  // operations, which have their per-shard limits, and everything when the profile is off).
  struct OpRate {
    double per_sec;
    bool per_stream;
  };
  std::optional<OpRate> ControlPlaneRate(std::string_view op) const;
};

}  // namespace shoal::service
