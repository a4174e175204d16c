#pragma once
// Enhanced fan-out: the registry and the pumps of SubscribeToShard subscriptions.
//
// A subscription is pushed by a small pool of pump threads, never by a thread of its own:
// it is scheduled when records of its shard become durable (the engine's durable listener),
// when its heartbeat or lifetime falls due (a ticker), when its sink drains below the low-
// water mark, or when a newer subscription takes over. A pump sends events until the shard
// has nothing new or the sink holds `high_water_bytes` unsent (then it waits for the drain):
// a slow subscriber slows only itself, and its memory stays bounded.
//
// Thread-safety: all public methods are thread-safe.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "service/background_loop.h"
#include "service/fanout/subscription.h"

namespace shoal::service {

// Where a subscription's events go (api/ implements it over the HTTP response body).
class EventSink {
 public:
  virtual ~EventSink() = default;
  // Sends one SubscribeToShardEvent; false once the peer is gone.
  virtual bool SendEvent(const SubscribeEvent& event) = 0;
  // Sends an exception event, then ends the stream.
  virtual void SendError(const SvcStatus& error) = 0;
  // Ends the stream normally.
  virtual void End() = 0;
  // Unsent bytes; `fn` runs once they drop to `low_water` or the peer is gone.
  virtual size_t Buffered() const = 0;
  virtual void NotifyWhenDrained(size_t low_water, std::function<void()> fn) = 0;
  virtual bool Closed() const = 0;
  virtual void NotifyWhenClosed(std::function<void()> fn) = 0;
};

class FanOut {
 public:
  // `streams`, `data` and `clock` must outlive the fan-out. Installs the engine's durable
  // listener (so construct it before the server accepts requests).
  FanOut(StreamService& streams, DataPlane& data, Clock& clock, FanOutOptions options);
  ~FanOut();  // Stops.

  // Checks the consumer (exists, ACTIVE, of the shard's stream), the shard and the starting
  // position (GetShardIterator's rules), and the resubscribe rule; registers the
  // subscription, taking over from an older one of the same consumer and shard. It starts
  // pushing once Start() gives it a sink.
  SvcResult<std::shared_ptr<Subscription>> Subscribe(const SubscribeRequest& request);
  void Start(const std::shared_ptr<Subscription>& sub, std::shared_ptr<EventSink> sink);

  // Ends every subscription and joins the threads. Idempotent.
  void Stop();

  size_t ActiveCount();
  const FanOutOptions& options() const { return options_; }

 private:
  struct Live;
  using LivePtr = std::shared_ptr<Live>;
  struct RuleKey {
    std::string consumer_arn;
    uint32_t shard = 0;
    auto operator<=>(const RuleKey&) const = default;
  };
  struct RuleState {
    int64_t last_success_ms = 0;
    std::weak_ptr<Live> active;
  };

  void OnDurable(storage::ShardKey key);
  void Schedule(const LivePtr& live);
  void PumpLoop();
  void Pump(const LivePtr& live);
  void Remove(const LivePtr& live);
  std::optional<int64_t> Tick();  // the ticker's step: schedules what fell due

  StreamService& streams_;
  DataPlane& data_;
  Clock& clock_;
  const FanOutOptions options_;

  std::mutex mu_;
  std::condition_variable ready_cv_;
  std::deque<LivePtr> ready_;                       // GUARDED_BY(mu_)
  std::map<RuleKey, RuleState> rules_;              // GUARDED_BY(mu_)
  std::map<const Subscription*, LivePtr> pending_;  // GUARDED_BY(mu_): awaiting Start()
  std::map<const Subscription*, LivePtr> live_;     // GUARDED_BY(mu_): started ones
  std::map<storage::ShardKey, std::vector<std::weak_ptr<Live>>> by_shard_;  // GUARDED_BY(mu_)
  // by_shard_.size(), readable without mu_: the durable listener runs after every group
  // commit and returns at once while nobody subscribes.
  std::atomic<size_t> watched_shards_{0};
  bool stopping_ = false;                           // GUARDED_BY(mu_)
  std::vector<std::thread> pumps_;
  std::unique_ptr<BackgroundLoop> ticker_;
};

}  // namespace shoal::service
