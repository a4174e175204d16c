#include "service/fanout/fan_out.h"

#include <fmt/format.h>

#include <atomic>

namespace shoal::service {

struct FanOut::Live {
  std::shared_ptr<Subscription> sub;
  std::shared_ptr<EventSink> sink;   // set by Start()
  std::mutex pump_mu;                // one pump at a time
  std::atomic<bool> queued{false};   // in ready_ (or about to be)
  int64_t wake_at_ms = 0;            // GUARDED_BY(FanOut::mu_); 0: not waiting on time
  int64_t registered_ms = 0;
};

namespace {
// Events one pump run sends before it yields to other subscriptions.
constexpr int kEventsPerRun = 16;
}  // namespace

FanOut::FanOut(StreamService& streams, DataPlane& data, Clock& clock, FanOutOptions options)
    : streams_(streams), data_(data), clock_(clock), options_(options) {
  data_.engine().SetDurableListener([this](storage::ShardKey key) { OnDurable(key); });
  for (int i = 0; i < std::max(1, options_.threads); ++i) pumps_.emplace_back([this] { PumpLoop(); });
  int64_t tick = std::clamp<int64_t>(options_.heartbeat_ms / 4, 10, 250);
  ticker_ = std::make_unique<BackgroundLoop>(clock_, [this] { return Tick(); }, tick);
  ticker_->Start();
}

FanOut::~FanOut() { Stop(); }

SvcResult<std::shared_ptr<Subscription>> FanOut::Subscribe(const SubscribeRequest& r) {
  auto consumer = streams_.FindConsumer(r.consumer_arn);
  if (!consumer.ok()) return consumer.status();
  const std::string& account = streams_.options().account_id;
  if (consumer->status != ConsumerStatus::kActive) {
    return {Errc::kResourceInUse,
            fmt::format("Consumer {} with creation timestamp {} under stream: {} , account {} "
                        "is not in ACTIVE status.",
                        consumer->name, consumer->created_ms / 1000, consumer->stream_name,
                        account)};
  }
  GetShardIteratorRequest seek{StreamRef{consumer->stream_name, std::nullopt}, r.shard_id, r.type,
                               r.sequence_number, r.timestamp_ms};
  auto cursor = data_.Seek(seek);
  if (!cursor.ok()) return cursor.status();
  if (cursor->view->revision != consumer->stream_revision) {
    return {Errc::kResourceNotFound, fmt::format("Consumer {} not found.", r.consumer_arn)};
  }
  const int64_t now = clock_.NowMs();
  const RuleKey key{consumer->arn, cursor->shard};
  auto sub = std::make_shared<Subscription>(streams_, data_, std::move(*cursor), *consumer,
                                            options_, now);
  LivePtr old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return {Errc::kInternal, "The server is stopping."};
    RuleState& rule = rules_[key];
    if (rule.last_success_ms != 0 && now - rule.last_success_ms < options_.resubscribe_ms) {
      return {Errc::kResourceInUse,
              fmt::format("Another active subscription exists for this consumer: {}",
                          consumer->arn)};
    }
    old = rule.active.lock();
    auto live = std::make_shared<Live>();
    live->sub = sub;
    live->registered_ms = now;
    rule.active = live;
    rule.last_success_ms = now;
    pending_[sub.get()] = live;
  }
  if (old) {
    old->sub->TakeOver();
    Schedule(old);
  }
  return sub;
}

void FanOut::Start(const std::shared_ptr<Subscription>& sub, std::shared_ptr<EventSink> sink) {
  LivePtr live;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(sub.get());
    if (it == pending_.end() || stopping_) {
      sink->End();
      return;
    }
    live = it->second;
    pending_.erase(it);
    live->sink = sink;
    live_[sub.get()] = live;
    by_shard_[sub->shard_key()].push_back(live);
    watched_shards_.store(by_shard_.size(), std::memory_order_release);
  }
  std::weak_ptr<Live> weak = live;
  sink->NotifyWhenClosed([this, weak] {
    if (auto l = weak.lock()) Schedule(l);
  });
  Schedule(live);
}

void FanOut::OnDurable(storage::ShardKey key) {
  if (watched_shards_.load(std::memory_order_acquire) == 0) return;
  std::vector<LivePtr> woken;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_shard_.find(key);
    if (it == by_shard_.end()) return;
    auto& subs = it->second;
    for (auto w = subs.begin(); w != subs.end();) {
      if (auto l = w->lock()) {
        woken.push_back(std::move(l));
        ++w;
      } else {
        w = subs.erase(w);
      }
    }
    if (subs.empty()) by_shard_.erase(it);
    watched_shards_.store(by_shard_.size(), std::memory_order_release);
  }
  for (const auto& l : woken) Schedule(l);
}

void FanOut::Schedule(const LivePtr& live) {
  if (live->queued.exchange(true, std::memory_order_acq_rel)) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  ready_.push_back(live);
  ready_cv_.notify_one();
}

void FanOut::PumpLoop() {
  for (;;) {
    LivePtr live;
    {
      std::unique_lock<std::mutex> lock(mu_);
      ready_cv_.wait(lock, [&] { return stopping_ || !ready_.empty(); });
      if (stopping_) return;
      live = std::move(ready_.front());
      ready_.pop_front();
    }
    Pump(live);
  }
}

void FanOut::Pump(const LivePtr& live) {
  std::lock_guard<std::mutex> pump_lock(live->pump_mu);
  live->queued.store(false, std::memory_order_release);
  if (live->sink == nullptr) return;
  EventSink& sink = *live->sink;
  using Kind = Subscription::Step::Kind;
  for (int i = 0; i < kEventsPerRun; ++i) {
    if (sink.Closed()) return Remove(live);
    if (sink.Buffered() > options_.high_water_bytes) {
      std::weak_ptr<Live> weak = live;
      sink.NotifyWhenDrained(options_.high_water_bytes / 2, [this, weak] {
        if (auto l = weak.lock()) Schedule(l);
      });
      return;
    }
    Subscription::Step step = live->sub->Next(clock_.NowMs());
    switch (step.kind) {
      case Kind::kEvent:
        if (!sink.SendEvent(step.event)) return Remove(live);
        if (step.last) {
          sink.End();
          return Remove(live);
        }
        break;
      case Kind::kIdle: {
        std::lock_guard<std::mutex> lock(mu_);
        live->wake_at_ms = step.wake_at_ms;
        return;
      }
      case Kind::kEnd:
        sink.End();
        return Remove(live);
      case Kind::kError:
        sink.SendError(step.error);
        return Remove(live);
    }
  }
  Schedule(live);  // more to send: let other subscriptions have a turn first
}

void FanOut::Remove(const LivePtr& live) {
  std::lock_guard<std::mutex> lock(mu_);
  live_.erase(live->sub.get());
}

std::optional<int64_t> FanOut::Tick() {
  const int64_t now = clock_.NowMs();
  std::vector<LivePtr> due;
  int64_t next = now + options_.heartbeat_ms;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [sub, live] : live_) {
      if (live->wake_at_ms == 0) continue;
      if (live->wake_at_ms <= now) {
        live->wake_at_ms = 0;
        due.push_back(live);
      } else {
        next = std::min(next, live->wake_at_ms);
      }
    }
    // Subscriptions whose client never took the response, and resubscribe rules past their
    // window with nothing active, are forgotten.
    std::erase_if(pending_, [&](const auto& e) {
      return now - e.second->registered_ms > options_.lifetime_ms;
    });
    std::erase_if(rules_, [&](const auto& e) {
      return now - e.second.last_success_ms >= options_.resubscribe_ms && e.second.active.expired();
    });
  }
  for (const auto& l : due) Schedule(l);
  return next;
}

void FanOut::Stop() {
  std::vector<LivePtr> live;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [sub, l] : live_) live.push_back(l);
    ready_cv_.notify_all();
  }
  if (ticker_) ticker_->Stop();
  for (auto& t : pumps_) t.join();
  pumps_.clear();
  for (const auto& l : live) {
    std::lock_guard<std::mutex> pump_lock(l->pump_mu);
    l->sink->End();
  }
  std::lock_guard<std::mutex> lock(mu_);
  live_.clear();
  pending_.clear();
  by_shard_.clear();
  watched_shards_.store(0, std::memory_order_release);
  ready_.clear();
}

size_t FanOut::ActiveCount() {
  std::lock_guard<std::mutex> lock(mu_);
  return live_.size();
}

}  // namespace shoal::service
