#include "workloads.h"

#include <fmt/format.h>

#include <unordered_map>

#include "subscription.h"

namespace shoal::loadgen {

using namespace std::chrono_literals;

namespace {

// Books the records of a PutRecords answer.
void AccountPutRecords(SlotContext& ctx, Call& call, OpStats* s, const PooledBody& body,
                       PutRecordsResult& r) {
  if (!s || !call.ok()) return;
  if (!ctx.worker.parser().PutRecords(call.response, r)) {
    s->AddError("BadResponse");
    return;
  }
  uint64_t failed = std::min<uint64_t>(r.failed, body.records);
  uint64_t ok = body.records - failed;
  s->records += ok;
  s->record_bytes += body.records ? body.data_bytes / body.records * ok : 0;
  s->failed_records += failed;
  s->throttled += r.throttled;
  if (r.throttled) s->AddError("record:ProvisionedThroughputExceededException", r.throttled);
  if (r.internal) s->AddError("record:InternalFailure", r.internal);
  if (r.other) s->AddError("record:" + r.other_code, r.other);
  uint64_t unexplained = failed - std::min(failed, r.throttled + r.internal + r.other);
  if (unexplained) s->AddError("record:unknown", unexplained);
}

// GetShardIterator for `shard`; leaves `iterator` empty on failure (ctx.last_error says why).
Task<void> GetIterator(SlotContext& ctx, Call& call, std::string& body, std::string_view shard,
                       std::string_view type, std::string_view seq, std::string& iterator) {
  BuildGetShardIterator(body, ctx.options().stream, shard, type, seq);
  call.op = Op::kGetShardIterator;
  call.body = body;
  call.body_sha256 = nullptr;
  co_await ctx.conn.Send(call);
  ctx.Account(call);
  iterator.clear();
  if (call.ok() && !ctx.worker.parser().GetShardIterator(call.response, iterator)) {
    ctx.last_error = "BadResponse";
  }
}

}  // namespace

Task<void> PutRecordsSlot(SlotContext& ctx) {
  Call call;
  PutRecordsResult result;
  const BodyPool& pool = ctx.shared.put_records;
  for (;;) {
    const PooledBody& body = pool.Pick(ctx.rng);
    co_await ctx.Pace();
    if (!ctx.Continue(body.data_bytes)) break;
    call.op = Op::kPutRecords;
    call.body = body.json;
    call.body_sha256 = body.sha256.empty() ? nullptr : &body.sha256;
    co_await ctx.conn.Send(call);
    OpStats* s = ctx.Account(call);
    AccountPutRecords(ctx, call, s, body, result);
    if (!ctx.last_error.empty()) co_await ctx.Backoff();
  }
}

Task<void> PutRecordSlot(SlotContext& ctx) {
  Call call;
  const BodyPool& pool = ctx.shared.put_record;
  for (;;) {
    const PooledBody& body = pool.Pick(ctx.rng);
    co_await ctx.Pace();
    if (!ctx.Continue(body.data_bytes)) break;
    call.op = Op::kPutRecord;
    call.body = body.json;
    call.body_sha256 = body.sha256.empty() ? nullptr : &body.sha256;
    co_await ctx.conn.Send(call);
    if (OpStats* s = ctx.Account(call); s && call.ok()) {
      ++s->records;
      s->record_bytes += body.data_bytes;
    }
    if (!ctx.last_error.empty()) co_await ctx.Backoff();
  }
}

Task<void> EmptyInputSlot(SlotContext& ctx, Op op) {
  Call call;
  for (;;) {
    co_await ctx.Pace();
    if (!ctx.Continue()) break;
    call.op = op;
    call.body = "{}";
    call.body_sha256 = nullptr;
    co_await ctx.conn.Send(call);
    ctx.Account(call);
    if (!ctx.last_error.empty()) co_await ctx.Backoff();
  }
}

Task<void> GetRecordsSlot(SlotContext& ctx) {
  const Options& o = ctx.options();
  const auto& shards = ctx.shared.shard_ids;
  Call call;
  std::string body;
  std::string iterator;
  GetRecordsResult r;
  for (int pass = 0; pass < o.passes; ++pass) {
    for (size_t i = static_cast<size_t>(ctx.index); i < shards.size();
         i += static_cast<size_t>(ctx.slot_count)) {
      if (!ctx.Continue()) co_return;
      int failures = 0;
      co_await GetIterator(ctx, call, body, shards[i], "TRIM_HORIZON", {}, iterator);
      while (iterator.empty() && !ctx.stopped() && ++failures < 20) {
        co_await ctx.Backoff();
        co_await GetIterator(ctx, call, body, shards[i], "TRIM_HORIZON", {}, iterator);
      }
      failures = 0;
      int empty_behind = 0;
      while (!iterator.empty() && !ctx.stopped()) {
        BuildGetRecords(body, iterator, o.get_limit);
        call.op = Op::kGetRecords;
        call.body = body;
        call.body_sha256 = nullptr;
        co_await ctx.conn.Send(call);
        OpStats* s = ctx.Account(call);
        if (!call.ok()) {
          // Expired iterators end this shard's pass (its position is lost); other errors retry.
          if (ctx.last_error == "ExpiredIteratorException" || ++failures >= 20) break;
          co_await ctx.Backoff();
          continue;
        }
        failures = 0;
        if (!ctx.worker.parser().GetRecords(call.response, {}, r)) {
          if (s) s->AddError("BadResponse");
          break;
        }
        if (s) {
          s->records += r.records;
          s->record_bytes += r.data_bytes;
        }
        iterator.swap(r.next_iterator);  // empty: closed shard, fully read
        if (r.records == 0) {
          // Caught up: nothing returned and nothing behind (a few empty answers are allowed
          // while the server reports it is still behind).
          if (r.millis_behind <= 0 || ++empty_behind >= 5) break;
        } else {
          empty_behind = 0;
        }
      }
    }
  }
}

Task<void> PutGetLatencySlot(SlotContext& ctx) {
  const Options& o = ctx.options();
  auto keys_rng = std::mt19937_64(o.seed + static_cast<uint64_t>(ctx.index));
  std::string key = fmt::format("put-get-{}", MakePartitionKeys(1, keys_rng)[0]);
  std::string put_body;
  BuildPutRecord(put_body, o.stream, key, MakeBase64Payloads(1, o.record_bytes, keys_rng)[0]);
  Call put;
  Call get;
  std::string get_body;
  std::string iterator;
  std::string iterator_shard;
  PutRecordResult pr;
  GetRecordsResult gr;
  auto poll_pause = std::chrono::microseconds(static_cast<int64_t>(o.poll_interval_ms * 1000));
  for (;;) {
    co_await ctx.Pace();
    if (!ctx.Continue(static_cast<uint64_t>(o.record_bytes))) break;
    put.op = Op::kPutRecord;
    put.body = put_body;
    put.body_sha256 = nullptr;
    co_await ctx.conn.Send(put);
    OpStats* ps = ctx.Account(put);
    if (!put.ok() || !ctx.worker.parser().PutRecord(put.response, pr)) {
      co_await ctx.Backoff();
      continue;
    }
    if (ps) {
      ++ps->records;
      ps->record_bytes += static_cast<uint64_t>(o.record_bytes);
    }
    // A new iterator (first round, other shard, or after an error) starts at the record, and
    // that round is not timed: it includes GetShardIterator.
    bool timed = !iterator.empty() && iterator_shard == pr.shard_id;
    if (!timed) {
      co_await GetIterator(ctx, get, get_body, pr.shard_id, "AT_SEQUENCE_NUMBER",
                           pr.sequence_number, iterator);
      iterator_shard = pr.shard_id;
      if (iterator.empty()) {
        co_await ctx.Backoff();
        continue;
      }
    }
    for (;;) {
      if (ctx.stopped()) co_return;
      BuildGetRecords(get_body, iterator, o.get_limit);
      get.op = Op::kGetRecords;
      get.body = get_body;
      get.body_sha256 = nullptr;
      co_await ctx.conn.Send(get);
      OpStats* gs = ctx.Account(get);
      if (!get.ok()) {
        iterator.clear();  // start again from a fresh iterator at the next record
        co_await ctx.Backoff();
        break;
      }
      if (!ctx.worker.parser().GetRecords(get.response, pr.sequence_number, gr)) {
        if (gs) gs->AddError("BadResponse");
        iterator.clear();
        break;
      }
      if (gs) {
        gs->records += gr.records;
        gs->record_bytes += gr.data_bytes;
      }
      iterator.swap(gr.next_iterator);
      if (gr.found) {
        if (timed && ps) ctx.stats.put_to_get.Record(static_cast<uint64_t>((get.end - put.start).count()));
        break;
      }
      if (gr.passed || iterator.empty()) {
        if (ps) ++ctx.stats.put_get_missing;
        iterator.clear();
        break;
      }
      if (poll_pause.count() > 0) co_await ctx.Sleep(poll_pause);
    }
  }
}

Task<void> PutRecordAllShardsSlot(SlotContext& ctx) {
  const Options& o = ctx.options();
  const auto& shards = ctx.shared.shard_ids;
  const auto& keys = ctx.shared.shard_starting_hash_keys;
  if (shards.empty()) co_return;
  auto rng = std::mt19937_64(o.seed + static_cast<uint64_t>(ctx.index));
  const std::string payload = MakeBase64Payloads(1, o.record_bytes, rng)[0];
  const std::string key = MakePartitionKeys(1, rng)[0];
  Call call;
  std::string body;
  for (size_t i = static_cast<size_t>(ctx.index);; i += static_cast<size_t>(ctx.slot_count)) {
    co_await ctx.Pace();
    if (!ctx.Continue(static_cast<uint64_t>(o.record_bytes))) break;
    BuildPutRecord(body, o.stream, key, payload, keys[i % keys.size()]);
    call.op = Op::kPutRecord;
    call.body = body;
    call.body_sha256 = nullptr;
    co_await ctx.conn.Send(call);
    if (OpStats* s = ctx.Account(call); s && call.ok()) {
      ++s->records;
      s->record_bytes += static_cast<uint64_t>(o.record_bytes);
    }
    if (!ctx.last_error.empty()) co_await ctx.Backoff();
  }
}

namespace {

// What the subscription callbacks of one slot tell the slot (same thread).
struct SubscribeState {
  std::unordered_map<std::string, SteadyClock::time_point> arrivals;  // sequence number -> event
  std::string continuation;
  std::string exception;  // an exception message on the stream
  bool ended = false;
};

// Starts (or restarts) `sub` on `shard` and waits until its response head is in. Books the call
// as SubscribeToShard; returns false when it failed (ctx.last_error says why).
Task<bool> OpenSubscription(SlotContext& ctx, Subscription& sub, SubscribeState& st,
                            const std::string& shard) {
  std::string body;
  if (st.continuation.empty()) {
    BuildSubscribeToShard(body, ctx.shared.consumer_arn, shard, "LATEST");
  } else {
    BuildSubscribeToShard(body, ctx.shared.consumer_arn, shard, "AFTER_SEQUENCE_NUMBER", st.continuation);
  }
  st.ended = false;
  st.exception.clear();
  auto start = SteadyClock::now();
  sub.Start(
      std::move(body),
      [&st](const EventMessage& m, SteadyClock::time_point arrival) {
        if (m.Header(":message-type") != "event") {
          st.exception = std::string(m.Header(":exception-type"));
          if (st.exception.empty()) st.exception = "EventStreamError";
          return;
        }
        if (m.Header(":event-type") != "SubscribeToShardEvent") return;  // initial-response
        SubscribeEvent ev;
        if (!ParseSubscribeEvent(m.payload, ev)) return;
        for (auto& seq : ev.sequence_numbers) st.arrivals.emplace(std::move(seq), arrival);
        if (!ev.continuation.empty()) st.continuation = std::move(ev.continuation);
      },
      [&st] { st.ended = true; });
  while (sub.state() == Subscription::State::kConnecting || sub.state() == Subscription::State::kWaitingHead) {
    if (ctx.stopped() || SteadyClock::now() - start > std::chrono::duration<double>(ctx.options().timeout_s)) break;
    co_await ctx.Sleep(200us);
  }
  bool ok = sub.state() == Subscription::State::kStreaming && sub.status() == 200;
  ctx.last_error = ok ? std::string() : (sub.error_type().empty() ? "Timeout" : sub.error_type());
  // Booked whatever the window: failures during the warm-up are how an unsupported target shows.
  auto now = SteadyClock::now();
  {
    OpStats& s = ctx.stats.op(Op::kSubscribeToShard);
    ++s.requests;
    if (ok) {
      ++s.ok;
      s.latency.Record(static_cast<uint64_t>((now - start).count()));
    } else {
      s.AddError(ctx.last_error);
    }
  }
  co_return ok;
}

}  // namespace

Task<void> SubscribeLatencySlot(SlotContext& ctx) {
  const Options& o = ctx.options();
  const auto& shards = ctx.shared.shard_ids;
  if (shards.empty()) co_return;
  const size_t shard = static_cast<size_t>(ctx.index) % shards.size();
  auto rng = std::mt19937_64(o.seed + static_cast<uint64_t>(ctx.index));
  std::string put_body;
  BuildPutRecord(put_body, o.stream, MakePartitionKeys(1, rng)[0], MakeBase64Payloads(1, o.record_bytes, rng)[0],
                 ctx.shared.shard_starting_hash_keys[shard]);
  Subscription sub(ctx.worker.io(), ctx.worker.endpoint(), o.credentials, o.sign);
  SubscribeState st;
  Call put;
  PutRecordResult pr;
  int failures = 0;
  const auto event_timeout = std::chrono::duration<double>(o.event_timeout_s);
  while (!ctx.stopped()) {
    if (sub.state() != Subscription::State::kStreaming) {
      if (co_await OpenSubscription(ctx, sub, st, shards[shard])) {
        failures = 0;
      } else if (++failures >= 3 || ctx.stopped()) {
        co_return;  // the target cannot subscribe (the errors are booked)
      } else {
        co_await ctx.Backoff();
      }
      continue;
    }
    co_await ctx.Pace();
    if (!ctx.Continue(static_cast<uint64_t>(o.record_bytes))) break;
    st.arrivals.clear();
    put.op = Op::kPutRecord;
    put.body = put_body;
    put.body_sha256 = nullptr;
    co_await ctx.conn.Send(put);
    OpStats* ps = ctx.Account(put);
    if (!put.ok() || !ctx.worker.parser().PutRecord(put.response, pr)) {
      co_await ctx.Backoff();
      continue;
    }
    if (ps) {
      ++ps->records;
      ps->record_bytes += static_cast<uint64_t>(o.record_bytes);
    }
    auto it = st.arrivals.end();
    while ((it = st.arrivals.find(pr.sequence_number)) == st.arrivals.end() && !st.ended &&
           st.exception.empty() && !ctx.stopped() && SteadyClock::now() - put.start < event_timeout) {
      co_await ctx.Sleep(100us);
    }
    if (it != st.arrivals.end()) {
      if (ps) ctx.stats.put_to_event.Record(static_cast<uint64_t>((it->second - put.start).count()));
    } else if (ps && !ctx.stopped()) {
      ++ctx.stats.put_event_missing;
      if (!st.exception.empty()) ctx.stats.op(Op::kSubscribeToShard).AddError("event:" + st.exception);
    }
    if (!st.exception.empty()) sub.Close();
  }
  sub.Close();
}

Task<void> PrepareConsumer(SlotContext& ctx, SetupResult& out, std::string name) {
  if (name.empty()) name = ctx.options().consumer;
  out.ok = false;
  out.unsupported = false;
  Call call;
  std::string body;
  ConsumerInfo info;
  BuildRegisterStreamConsumer(body, out.stream_arn, name);
  call.op = Op::kRegisterStreamConsumer;
  call.body = body;
  co_await ctx.conn.Send(call);
  ctx.Account(call);
  if (call.ok()) {
    if (!ParseConsumer(call.response.view(), info)) {
      out.error = "RegisterStreamConsumer: unexpected answer";
      co_return;
    }
  } else if (ctx.last_error != "ResourceInUseException") {
    out.unsupported = call.error == TransportError::kNone;
    out.error = fmt::format("RegisterStreamConsumer: {}", ctx.last_error);
    co_return;
  }
  auto deadline = SteadyClock::now() + 120s;
  while (info.status != "ACTIVE") {
    if (g_interrupts.load() > 0 || SteadyClock::now() > deadline) {
      out.error = fmt::format("consumer {} is not ACTIVE (status {}, last error {})", name,
                              info.status, ctx.last_error);
      co_return;
    }
    if (!info.arn.empty()) co_await ctx.Sleep(100ms);
    BuildDescribeStreamConsumer(body, info.arn, out.stream_arn, name);
    call.op = Op::kDescribeStreamConsumer;
    call.body = body;
    co_await ctx.conn.Send(call);
    ctx.Account(call);
    if (call.ok() && !ParseConsumer(call.response.view(), info)) {
      out.error = "DescribeStreamConsumer: unexpected answer";
      co_return;
    }
    if (!call.ok() && info.arn.empty()) co_await ctx.Sleep(100ms);
  }
  out.consumer_arn = info.arn;
  out.ok = true;
}

Task<void> PrepareStream(SlotContext& ctx, SetupResult& out) {
  const Options& o = ctx.options();
  Call call;
  std::string body;
  if (o.create) {
    BuildCreateStream(body, o.stream, o.shards);
    call.op = Op::kCreateStream;
    call.body = body;
    co_await ctx.conn.Send(call);
    ctx.Account(call);
    if (!call.ok() && ctx.last_error != "ResourceInUseException") {
      out.error = fmt::format("CreateStream {}: {}", o.stream, ctx.last_error);
      co_return;
    }
  }
  StreamSummary summary;
  auto deadline = SteadyClock::now() + 120s;
  int transport_failures = 0;
  for (;;) {
    if (g_interrupts.load() > 0) {
      out.error = "interrupted";
      co_return;
    }
    BuildStreamNameBody(body, o.stream);
    call.op = Op::kDescribeStreamSummary;
    call.body = body;
    co_await ctx.conn.Send(call);
    ctx.Account(call);
    if (call.error != TransportError::kNone) {
      if (++transport_failures >= 5) {
        out.error = fmt::format("cannot talk to {}: {}", o.endpoint, ctx.last_error);
        co_return;
      }
    } else {
      transport_failures = 0;
    }
    if (call.ok()) {
      if (!ctx.worker.parser().DescribeStreamSummary(call.response, summary)) {
        out.error = "DescribeStreamSummary: unexpected answer";
        co_return;
      }
      out.stream_arn = summary.arn;
      if (summary.status == "ACTIVE") break;
    } else if (ctx.last_error == "ResourceNotFoundException" && !o.create) {
      out.error = fmt::format("stream {} does not exist (add --create)", o.stream);
      co_return;
    }
    if (SteadyClock::now() > deadline) {
      out.error = fmt::format("stream {} is not ACTIVE after 120 s (status {}, last error {})",
                              o.stream, summary.status, ctx.last_error);
      co_return;
    }
    co_await ctx.Sleep(100ms);
  }
  std::string next;
  for (int page = 0; page < 10000; ++page) {
    BuildListShards(body, o.stream, next);
    call.op = Op::kListShards;
    call.body = body;
    co_await ctx.conn.Send(call);
    ctx.Account(call);
    if (!call.ok() || !ctx.worker.parser().ListShards(call.response, out.shard_ids,
                                                      out.shard_starting_hash_keys, next)) {
      out.error = fmt::format("ListShards: {}", call.ok() ? "unexpected answer" : ctx.last_error);
      co_return;
    }
    if (next.empty()) break;
  }
  out.ok = true;
}

Task<void> DeleteStream(SlotContext& ctx, SetupResult& out) {
  Call call;
  std::string body;
  BuildDeleteStream(body, ctx.options().stream);
  call.op = Op::kDeleteStream;
  call.body = body;
  co_await ctx.conn.Send(call);
  ctx.Account(call);
  out.ok = call.ok();
  if (!out.ok) out.error = ctx.last_error;
}

}  // namespace shoal::loadgen
