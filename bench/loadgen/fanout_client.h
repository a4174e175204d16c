#pragma once
// subscribe-fanout at run time: N SubscribeToShard streams (one HTTP/1.1 connection each, spread
// over the data workers' event loops) that time every probe record they receive, resubscribe
// when a stream ends (from its ContinuationSequenceNumber, never sooner than 5 s after the
// previous attempt of that consumer/shard), and the writer slot that puts probe records.
//
// Threads: each subscription and its counters belong to one worker's io_context. The main
// thread only reads the atomics (live, deliveries) while running; after Stop() it reads the
// rest. The writers share FanoutShared (atomics and a mutex-protected list).

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "fanout.h"
#include "eventstream.h"
#include "histogram.h"
#include "runner.h"
#include "stats.h"
#include "task.h"

namespace shoal::loadgen {

// The writers' side.
struct FanoutShared {
  explicit FanoutShared(const FanoutPlan& plan)
      : plan(plan), next_number(std::make_unique<std::atomic<uint64_t>[]>(static_cast<size_t>(plan.shards))) {}
  const FanoutPlan& plan;
  std::unique_ptr<std::atomic<uint64_t>[]> next_number;  // per shard
  std::mutex mu;
  std::vector<std::pair<uint32_t, uint64_t>> acked;  // (shard, number) of measured, acknowledged puts
  std::atomic<uint64_t> expected_deliveries{0};      // sum of subs_per_shard over `acked`
};

// PutRecord of probe records round-robin over the plan's shards (ExplicitHashKey), paced by
// --rate; the measured ones that were acknowledged go to shared.fanout->acked.
Task<void> FanoutWriterSlot(SlotContext& ctx);

struct FanoutTotals {
  Histogram latency;          // put sent -> event received, every measured delivery
  uint64_t deliveries = 0;    // measured records received (first time per subscription)
  uint64_t expected = 0;      // measured acknowledged records x subscriptions on their shard
  uint64_t missing = 0;       // expected but never received (by the end of the drain)
  uint64_t duplicates = 0;    // a record received again by the same subscription
  uint64_t foreign = 0;       // records that are not probes of this run's shard
  uint64_t stream_ends = 0;   // streams the server ended (lifetime) or that broke after a 200
  uint64_t resubscribes = 0;  // SubscribeToShard attempts after the first of each subscription
  OpStats subscribe;          // SubscribeToShard attempts: time to the first event, errors
  std::map<std::string, uint64_t, std::less<>> stream_errors;  // why streams ended, by type
};

class FanoutClient {
 public:
  FanoutClient(const Options& options, const FanoutPlan& plan, std::vector<std::string> shard_ids,
               std::vector<std::string> consumer_arns, const std::vector<Worker*>& workers);
  ~FanoutClient();

  // Starts every subscription (LATEST).
  void Start();
  // Closes every subscription and stops resubscribing; returns once done on every worker.
  void Stop();
  int live() const { return live_.load(std::memory_order_relaxed); }
  uint64_t deliveries() const { return deliveries_.load(std::memory_order_relaxed); }
  // After Stop(): the merged counters; `acked` are the measured records the writers got
  // acknowledged (shard, number).
  FanoutTotals Collect(const std::vector<std::pair<uint32_t, uint64_t>>& acked) const;

  struct Group;
  struct Sub;

 private:
  void StartSub(Group& g, Sub& s);
  void OnMessage(Group& g, Sub& s, const EventMessage& m, SteadyClock::time_point arrival);
  void OnEnd(Group& g, Sub& s, std::string error);
  void Schedule(Group& g, Sub& s, std::chrono::nanoseconds backoff);
  void ArmTicker(Group& g);

  const Options& options_;
  const FanoutPlan& plan_;
  std::vector<std::string> shard_ids_;
  std::vector<std::string> consumer_arns_;
  std::vector<std::unique_ptr<Group>> groups_;
  std::atomic<int> live_{0};
  std::atomic<uint64_t> deliveries_{0};
};

}  // namespace shoal::loadgen
