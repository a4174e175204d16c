#pragma once
// subscribe-fanout: the pure parts (no I/O), unit-tested in fanout_test.cc.
//
// - FanoutPlan: N subscriptions spread over consumers and shards. AWS allows at most 20
//   consumers per stream and one subscription per (consumer, shard), so N subscriptions need
//   ceil(N / 20) shards; subscription i is (consumer i % C, shard i / C), filling shards in turn.
// - Probe: the first 32 bytes of every record the writers put: when it was sent (steady clock,
//   the same clock in every thread of the process), its shard and its number on that shard, and
//   whether it was put inside the measurement window. Receivers time put -> event from it, so no
//   table shared between threads is needed and an event may arrive before the PutRecord answer.
// - ReceivedSet: which record numbers a subscription has seen (missing and duplicate counts).
// - NextSubscribeAt: the once-per-5-seconds SubscribeToShard rule per (consumer, shard).
// - ParseFanoutEvent: the Data and ContinuationSequenceNumber of a SubscribeToShardEvent.

#include <simdjson.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::loadgen {

inline constexpr int kMaxConsumersPerStream = 20;

struct FanoutPlan {
  int consumers = 0;
  int shards = 0;
  struct Sub {
    int consumer = 0;
    int shard = 0;
  };
  std::vector<Sub> subs;
  std::vector<int> subs_per_shard;  // how many subscriptions read each shard (size shards)
};
// `subscriptions` >= 1; `max_consumers` in 1..20.
FanoutPlan MakeFanoutPlan(int subscriptions, int max_consumers = kMaxConsumersPerStream);

struct Probe {
  static constexpr size_t kSize = 32;
  static constexpr uint32_t kMagic = 0x314f4653;  // "SFO1"
  uint64_t sent_ns = 0;   // SteadyClock time since its epoch
  uint32_t shard = 0;     // index into the plan's shards
  uint64_t number = 0;    // 0, 1, 2, ... per shard
  bool measured = false;  // put inside the measurement window
};
// `record_bytes` bytes (at least Probe::kSize): the probe, then zeros.
std::string EncodeProbe(const Probe& p, size_t record_bytes);
// From raw record data; false when it is not a probe.
bool DecodeProbe(std::string_view raw, Probe& out);
// From base64 record data (only the first 44 characters are decoded); false when it is not one.
bool DecodeProbeBase64(std::string_view b64, Probe& out);

class ReceivedSet {
 public:
  // Marks `n` seen; false when it already was (a duplicate).
  bool Mark(uint64_t n);
  bool Has(uint64_t n) const { return n < bits_.size() && bits_[n]; }
  uint64_t count() const { return count_; }

 private:
  std::vector<bool> bits_;
  uint64_t count_ = 0;
};

// When the next SubscribeToShard of one (consumer, shard) may go out: not before `last_attempt`
// + `min_interval` (+ a small margin for clock differences), and not before now + `backoff`.
// `last_attempt` == time_point{} means never.
std::chrono::steady_clock::time_point NextSubscribeAt(
    std::chrono::steady_clock::time_point last_attempt, std::chrono::steady_clock::time_point now,
    std::chrono::nanoseconds backoff = {},
    std::chrono::nanoseconds min_interval = std::chrono::seconds(5),
    std::chrono::nanoseconds margin = std::chrono::milliseconds(50));

struct FanoutEvent {
  std::vector<std::string_view> data;  // base64 Data of each record (views into the parser)
  std::string_view continuation;       // "" when absent (ChildShards at a shard's end)
};
// Parses a SubscribeToShardEvent payload with `parser` (reused; `out` views point into it until
// its next parse). False when the payload is not one.
bool ParseFanoutEvent(simdjson::dom::parser& parser, std::string_view payload, FanoutEvent& out);

}  // namespace shoal::loadgen
