#include "fanout_client.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <future>

#include "kinesis.h"
#include "payload.h"
#include "subscription.h"

namespace shoal::loadgen {

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct FanoutClient::Sub {
  Sub(Worker& w, const Options& o) : conn(w.io(), w.endpoint(), o.credentials, o.sign), timer(w.io()) {}
  int index = 0;
  int shard = 0;
  int consumer = 0;
  Subscription conn;
  asio::steady_timer timer;
  std::string continuation;
  SteadyClock::time_point last_attempt{};
  bool live = false;      // a 200 and at least one message since the last attempt
  bool active = false;    // an attempt is under way or streaming (OnEnd not yet handled)
  int attempts = 0;
  int failures = 0;       // consecutive failed attempts
  ReceivedSet received;
};

struct FanoutClient::Group {
  explicit Group(Worker& w) : worker(w), ticker(w.io()) {}
  Worker& worker;
  asio::steady_timer ticker;
  std::vector<std::unique_ptr<Sub>> subs;
  simdjson::dom::parser parser;
  FanoutEvent event;
  bool stopping = false;
  FanoutTotals t;  // latency, deliveries, duplicates, foreign, stream_ends, resubscribes, subscribe, stream_errors
};

FanoutClient::FanoutClient(const Options& options, const FanoutPlan& plan, std::vector<std::string> shard_ids,
                           std::vector<std::string> consumer_arns, const std::vector<Worker*>& workers)
    : options_(options), plan_(plan), shard_ids_(std::move(shard_ids)), consumer_arns_(std::move(consumer_arns)) {
  for (Worker* w : workers) groups_.push_back(std::make_unique<Group>(*w));
  for (size_t i = 0; i < plan_.subs.size(); ++i) {
    Group& g = *groups_[i % groups_.size()];
    auto s = std::make_unique<Sub>(g.worker, options_);
    s->index = static_cast<int>(i);
    s->shard = plan_.subs[i].shard;
    s->consumer = plan_.subs[i].consumer;
    g.subs.push_back(std::move(s));
  }
}

FanoutClient::~FanoutClient() = default;

void FanoutClient::Start() {
  for (auto& gp : groups_) {
    Group* g = gp.get();
    asio::post(g->worker.io(), [this, g] {
      ArmTicker(*g);
      for (auto& s : g->subs) StartSub(*g, *s);
    });
  }
}

void FanoutClient::Stop() {
  std::vector<std::future<void>> done;
  for (auto& gp : groups_) {
    Group* g = gp.get();
    auto p = std::make_shared<std::promise<void>>();
    done.push_back(p->get_future());
    asio::post(g->worker.io(), [this, g, p] {
      g->stopping = true;
      g->ticker.cancel();
      for (auto& s : g->subs) {
        s->timer.cancel();
        if (s->live) live_.fetch_sub(1, std::memory_order_relaxed);
        s->live = false;
        s->active = false;
        s->conn.Close();
      }
      p->set_value();
    });
  }
  for (auto& f : done) f.wait();
}

// Attempts that get no answer head within --timeout are dropped (and retried).
void FanoutClient::ArmTicker(Group& g) {
  g.ticker.expires_after(1s);
  g.ticker.async_wait([this, &g](boost::system::error_code ec) {
    if (ec || g.stopping) return;
    auto timeout = std::chrono::duration<double>(options_.timeout_s);
    auto now = SteadyClock::now();
    for (auto& s : g.subs) {
      auto st = s->conn.state();
      bool waiting = st == Subscription::State::kConnecting || st == Subscription::State::kWaitingHead ||
                     (st == Subscription::State::kStreaming && !s->live);
      if (s->active && waiting && now - s->last_attempt > timeout) {
        s->conn.Close();
        OnEnd(g, *s, "Timeout");
      }
    }
    ArmTicker(g);
  });
}

void FanoutClient::StartSub(Group& g, Sub& s) {
  if (g.stopping) return;
  std::string body;
  const std::string& arn = consumer_arns_[static_cast<size_t>(s.consumer)];
  const std::string& shard = shard_ids_[static_cast<size_t>(s.shard)];
  if (s.continuation.empty()) {
    BuildSubscribeToShard(body, arn, shard, "LATEST");
  } else {
    BuildSubscribeToShard(body, arn, shard, "AFTER_SEQUENCE_NUMBER", s.continuation);
  }
  if (s.attempts++ > 0) ++g.t.resubscribes;
  s.last_attempt = SteadyClock::now();
  s.active = true;
  s.live = false;
  s.conn.Start(
      std::move(body),
      [this, &g, &s](const EventMessage& m, SteadyClock::time_point arrival) { OnMessage(g, s, m, arrival); },
      [this, &g, &s] {
        std::string err = s.conn.state() == Subscription::State::kFailed ? s.conn.error_type() : std::string();
        OnEnd(g, s, std::move(err));
      });
}

void FanoutClient::OnMessage(Group& g, Sub& s, const EventMessage& m, SteadyClock::time_point arrival) {
  if (!s.live) {
    s.live = true;
    s.failures = 0;
    live_.fetch_add(1, std::memory_order_relaxed);
    ++g.t.subscribe.requests;
    ++g.t.subscribe.ok;
    g.t.subscribe.latency.Record(static_cast<uint64_t>((arrival - s.last_attempt).count()));
  }
  if (m.Header(":message-type") != "event") {
    std::string type(m.Header(":exception-type"));
    s.conn.Close();  // no OnEnd callback from Close()
    OnEnd(g, s, "event:" + (type.empty() ? std::string("EventStreamError") : type));
    return;
  }
  if (m.Header(":event-type") != "SubscribeToShardEvent") return;  // initial-response
  if (!ParseFanoutEvent(g.parser, m.payload, g.event)) {
    ++g.t.foreign;
    return;
  }
  const uint64_t arrival_ns = static_cast<uint64_t>(arrival.time_since_epoch().count());
  uint64_t fresh = 0;
  Probe p;
  for (std::string_view d : g.event.data) {
    if (!DecodeProbeBase64(d, p) || p.shard != static_cast<uint32_t>(s.shard)) {
      ++g.t.foreign;
      continue;
    }
    if (!p.measured) continue;
    if (!s.received.Mark(p.number)) {
      ++g.t.duplicates;
      continue;
    }
    ++fresh;
    g.t.latency.Record(arrival_ns > p.sent_ns ? arrival_ns - p.sent_ns : 0);
  }
  if (fresh) {
    g.t.deliveries += fresh;
    deliveries_.fetch_add(fresh, std::memory_order_relaxed);
  }
  if (!g.event.continuation.empty()) s.continuation.assign(g.event.continuation);
}

void FanoutClient::OnEnd(Group& g, Sub& s, std::string error) {
  if (!s.active) return;
  s.active = false;
  bool was_live = s.live;
  if (s.live) {
    s.live = false;
    live_.fetch_sub(1, std::memory_order_relaxed);
  }
  if (g.stopping) return;
  if (was_live) {
    ++g.t.stream_ends;
    if (!error.empty()) ++g.t.stream_errors[error];
  } else {
    ++g.t.subscribe.requests;
    g.t.subscribe.AddError(error.empty() ? std::string("EndedBeforeFirstEvent") : error);
  }
  std::chrono::nanoseconds backoff{};
  if (!was_live || !error.empty()) {
    s.failures = std::min(s.failures + 1, 10);
    backoff = std::chrono::milliseconds(std::min<int64_t>(5000, 50LL << s.failures));
  }
  Schedule(g, s, backoff);
}

void FanoutClient::Schedule(Group& g, Sub& s, std::chrono::nanoseconds backoff) {
  auto at = NextSubscribeAt(s.last_attempt, SteadyClock::now(), backoff);
  s.timer.expires_at(at);
  s.timer.async_wait([this, &g, &s](boost::system::error_code ec) {
    if (ec || g.stopping) return;
    StartSub(g, s);
  });
}

FanoutTotals FanoutClient::Collect(const std::vector<std::pair<uint32_t, uint64_t>>& acked) const {
  FanoutTotals out;
  std::vector<std::vector<const Sub*>> by_shard(static_cast<size_t>(plan_.shards));
  for (const auto& g : groups_) {
    out.latency.Merge(g->t.latency);
    out.deliveries += g->t.deliveries;
    out.duplicates += g->t.duplicates;
    out.foreign += g->t.foreign;
    out.stream_ends += g->t.stream_ends;
    out.resubscribes += g->t.resubscribes;
    out.subscribe.Merge(g->t.subscribe);
    for (const auto& [k, v] : g->t.stream_errors) out.stream_errors[k] += v;
    for (const auto& s : g->subs) by_shard[static_cast<size_t>(s->shard)].push_back(s.get());
  }
  for (auto [shard, number] : acked) {
    if (shard >= by_shard.size()) continue;
    for (const Sub* s : by_shard[shard]) {
      ++out.expected;
      if (!s->received.Has(number)) ++out.missing;
    }
  }
  return out;
}

Task<void> FanoutWriterSlot(SlotContext& ctx) {
  const Options& o = ctx.options();
  FanoutShared& f = *ctx.shared.fanout;
  const auto shards = static_cast<size_t>(f.plan.shards);
  const auto& keys = ctx.shared.shard_starting_hash_keys;
  if (shards == 0 || keys.size() < shards) co_return;
  auto rng = std::mt19937_64(o.seed + static_cast<uint64_t>(ctx.index));
  const std::string key = MakePartitionKeys(1, rng)[0];
  const auto bytes = static_cast<size_t>(o.record_bytes);
  Call call;
  std::string body;
  for (size_t i = static_cast<size_t>(ctx.index);; i += static_cast<size_t>(ctx.slot_count)) {
    co_await ctx.Pace();
    if (!ctx.Continue(bytes)) break;
    const auto shard = static_cast<uint32_t>(i % shards);
    Probe p;
    p.shard = shard;
    p.number = f.next_number[shard].fetch_add(1, std::memory_order_relaxed);
    auto now = SteadyClock::now();
    p.measured = now >= ctx.ctl.measure_start;
    p.sent_ns = static_cast<uint64_t>(now.time_since_epoch().count());
    BuildPutRecord(body, o.stream, key, Base64Encode(EncodeProbe(p, bytes)), keys[shard]);
    call.op = Op::kPutRecord;
    call.body = body;
    call.body_sha256 = nullptr;
    co_await ctx.conn.Send(call);
    OpStats* s = ctx.Account(call);
    if (s && call.ok()) {
      ++s->records;
      s->record_bytes += bytes;
    }
    if (call.ok() && p.measured) {
      {
        std::lock_guard lock(f.mu);
        f.acked.emplace_back(shard, p.number);
      }
      f.expected_deliveries.fetch_add(static_cast<uint64_t>(f.plan.subs_per_shard[shard]),
                                      std::memory_order_relaxed);
    }
    if (!ctx.last_error.empty()) co_await ctx.Backoff();
  }
}

}  // namespace shoal::loadgen
