#pragma once
// One SubscribeToShard subscription: what to push next, decided from the shard's log and the
// clock. Pure decisions over DataPlane reads (no threads, no wire format): FanOut drives it,
// api/ encodes what it returns.
//
// Contract of the events (wire-protocol.md §4.5, kinesis-api-spec.md): every event but the
// last carries a ContinuationSequenceNumber such that resubscribing AFTER_SEQUENCE_NUMBER it
// continues with the next undelivered record (no gap, no duplicate); at the end of a closed
// shard one final event carries ChildShards and no continuation; idle subscriptions get an
// empty event every heartbeat; after the lifetime the subscription ends.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "service/data_plane.h"
#include "service/stream_service.h"
#include "service/throttle/token_bucket.h"

namespace shoal::service {

struct FanOutOptions {
  int64_t lifetime_ms = 300'000;    // a subscription's events stop after this (AWS: 5 min)
  int64_t heartbeat_ms = 1'000;     // an empty event at least this often when idle
  int64_t resubscribe_ms = 5'000;   // a second subscribe within this of a success is refused
  size_t max_event_records = 10'000;
  size_t max_event_bytes = 1 << 20;  // partition keys + data per event
  size_t high_water_bytes = 4 << 20;  // unsent bytes per subscription before it waits
  // Records' bytes per second per subscription (AWS: 2 MiB/s per consumer per shard); 0: no
  // limit. Over it, the subscription waits (pushes are delayed, never refused).
  double read_bytes_per_sec = 0;
  int threads = 2;                   // pump threads
};

struct SubscribeRequest {
  std::string consumer_arn;
  std::string shard_id;
  IteratorType type = IteratorType::kLatest;
  std::optional<std::string> sequence_number;
  std::optional<int64_t> timestamp_ms;
};

struct SubscribeEvent {
  GetRecordsResult batch;                   // records, MillisBehindLatest, ChildShards, pin
  std::optional<std::string> continuation;  // absent only in the final event of a closed shard
};

class Subscription {
 public:
  struct Step {
    enum class Kind { kEvent, kIdle, kEnd, kError };
    Kind kind = Kind::kIdle;
    SubscribeEvent event;   // kEvent
    bool last = false;      // kEvent: the shard's end; nothing follows it
    int64_t wake_at_ms = 0; // kIdle: ask again by then at the latest (heartbeat or lifetime)
    SvcStatus error;        // kError: sent as an exception event; nothing follows it
  };

  // `streams` and `data` must outlive the subscription. `cursor` comes from DataPlane::Seek.
  Subscription(StreamService& streams, DataPlane& data, ShardCursor cursor, ConsumerInfo consumer,
               const FanOutOptions& options, int64_t now_ms);

  // What to do at `now_ms`. Not thread-safe: one caller at a time (FanOut's pump lock).
  Step Next(int64_t now_ms);

  // A newer subscription of the same consumer and shard took over: the next step is a
  // ResourceInUseException. Thread-safe.
  void TakeOver() { taken_over_.store(true, std::memory_order_release); }

  const ConsumerInfo& consumer() const { return consumer_; }
  storage::ShardKey shard_key() const { return {cursor_.view->revision, cursor_.shard}; }
  int64_t started_ms() const { return started_ms_; }

 private:
  // The continuation for "everything before position_ was delivered".
  std::string Continuation() const;
  // Re-reads the stream's snapshot (a reshard may have closed the shard); an error when the
  // stream is gone.
  SvcStatus Refresh();
  Step Idle(int64_t now_ms) const;
  Step Event(GetRecordsResult batch, std::optional<std::string> continuation, int64_t now_ms,
             bool last);
  // The subscription is over: kEnd, or kError with `error`.
  Step Finish(Step::Kind kind, SvcStatus error);

  StreamService& streams_;
  DataPlane& data_;
  ShardCursor cursor_;
  const meta::ShardRecord* shard_;  // in cursor_.view
  const ConsumerInfo consumer_;
  const FanOutOptions options_;
  const int64_t started_ms_;
  int64_t last_event_ms_;
  std::optional<std::string> last_delivered_;  // sequence number of the last record sent
  TokenBucket read_budget_;  // used when options_.read_bytes_per_sec > 0
  bool done_ = false;
  std::atomic<bool> taken_over_{false};
};

}  // namespace shoal::service
