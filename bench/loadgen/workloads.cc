#include "workloads.h"

#include <fmt/format.h>

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
