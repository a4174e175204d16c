#include "report.h"

#include <fmt/format.h>

#include <cmath>

namespace shoal::loadgen {
namespace {

double PerSecond(double n, double seconds) { return seconds > 0 ? n / seconds : 0.0; }
double Ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }
double Us(uint64_t ns) { return static_cast<double>(ns) / 1e3; }

std::string JsonEscape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += ch;
    }
  }
  return out;
}

// A number that is valid JSON (no NaN/inf).
std::string Num(double v) {
  if (!std::isfinite(v)) return "0";
  return fmt::format("{:.6g}", v);
}

std::string Grouped(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

std::string LatencyJson(const Histogram& h) {
  return fmt::format(
      "{{\"count\":{},\"min\":{},\"mean\":{},\"p50\":{},\"p90\":{},\"p99\":{},\"p99_9\":{},"
      "\"max\":{}}}",
      h.count(), Num(Us(h.min())), Num(h.mean() / 1e3), Num(Us(h.Percentile(50))),
      Num(Us(h.Percentile(90))), Num(Us(h.Percentile(99))), Num(Us(h.Percentile(99.9))),
      Num(Us(h.max())));
}

std::string LatencyText(const Histogram& h) {
  return fmt::format("p50 {:.3f}  p90 {:.3f}  p99 {:.3f}  p99.9 {:.3f}  max {:.3f} ms (n={})",
                     Ms(h.Percentile(50)), Ms(h.Percentile(90)), Ms(h.Percentile(99)),
                     Ms(h.Percentile(99.9)), Ms(h.max()), Grouped(h.count()));
}

const PhaseResult* FindPhase(const Report& r, const std::string& name) {
  for (const auto& p : r.phases) {
    if (p->name == name) return p.get();
  }
  return nullptr;
}

Op PrimaryOp(Workload w) {
  switch (w) {
    case Workload::kPutRecords: return Op::kPutRecords;
    case Workload::kPutRecord: return Op::kPutRecord;
    case Workload::kGetRecords: return Op::kGetRecords;
    case Workload::kPutGetLatency: return Op::kPutRecord;
    case Workload::kListStreams: return Op::kListStreams;
    case Workload::kDescribeLimits: return Op::kDescribeLimits;
    case Workload::kPutRecordAllShards: return Op::kPutRecord;
    case Workload::kSubscribeLatency: return Op::kPutRecord;
    case Workload::kSubscribeFanout: return Op::kPutRecord;
  }
  return Op::kPutRecords;
}

// Headline numbers of the run, by name (the same names in text and JSON).
std::vector<std::pair<std::string, double>> Summary(const Report& r) {
  std::vector<std::pair<std::string, double>> out;
  const PhaseResult* p = FindPhase(r, r.main_phase);
  if (!p) return out;
  const Options& o = *r.options;
  const OpStats& s = p->stats.op(PrimaryOp(o.workload));
  double sec = p->seconds;
  uint64_t errors = 0;
  for (const auto& op : p->stats.ops) errors += op.error_count();
  switch (o.workload) {
    case Workload::kPutRecords:
    case Workload::kGetRecords:
      out.emplace_back("record_mb_per_s", PerSecond(static_cast<double>(s.record_bytes) / 1e6, sec));
      out.emplace_back("records_per_s", PerSecond(static_cast<double>(s.records), sec));
      out.emplace_back("requests_per_s", PerSecond(static_cast<double>(s.ok), sec));
      out.emplace_back("p50_ms", Ms(s.latency.Percentile(50)));
      out.emplace_back("p99_ms", Ms(s.latency.Percentile(99)));
      break;
    case Workload::kPutRecord:
    case Workload::kPutRecordAllShards:
    case Workload::kListStreams:
    case Workload::kDescribeLimits:
      out.emplace_back("requests_per_s", PerSecond(static_cast<double>(s.ok), sec));
      out.emplace_back("p50_ms", Ms(s.latency.Percentile(50)));
      out.emplace_back("p90_ms", Ms(s.latency.Percentile(90)));
      out.emplace_back("p99_ms", Ms(s.latency.Percentile(99)));
      out.emplace_back("p99_9_ms", Ms(s.latency.Percentile(99.9)));
      out.emplace_back("max_ms", Ms(s.latency.max()));
      break;
    case Workload::kSubscribeLatency: {
      const Histogram& h = p->stats.put_to_event;
      out.emplace_back("samples", static_cast<double>(h.count()));
      out.emplace_back("missing", static_cast<double>(p->stats.put_event_missing));
      out.emplace_back("p50_ms", Ms(h.Percentile(50)));
      out.emplace_back("p90_ms", Ms(h.Percentile(90)));
      out.emplace_back("p99_ms", Ms(h.Percentile(99)));
      out.emplace_back("max_ms", Ms(h.max()));
      break;
    }
    case Workload::kSubscribeFanout: {
      const Histogram& h = p->stats.put_to_event;
      const FanoutNumbers& f = r.fanout;
      out.emplace_back("subscriptions", f.subscriptions);
      out.emplace_back("live_min", f.live_min);
      out.emplace_back("live_at_end", f.live_at_end);
      out.emplace_back("puts_per_s", PerSecond(static_cast<double>(s.ok), sec));
      out.emplace_back("events_per_s", PerSecond(static_cast<double>(f.deliveries), sec));
      out.emplace_back("samples", static_cast<double>(h.count()));
      out.emplace_back("missing", static_cast<double>(f.missing));
      out.emplace_back("duplicates", static_cast<double>(f.duplicates));
      out.emplace_back("resubscribes", static_cast<double>(f.resubscribes));
      out.emplace_back("p50_ms", Ms(h.Percentile(50)));
      out.emplace_back("p90_ms", Ms(h.Percentile(90)));
      out.emplace_back("p99_ms", Ms(h.Percentile(99)));
      out.emplace_back("p99_9_ms", Ms(h.Percentile(99.9)));
      out.emplace_back("max_ms", Ms(h.max()));
      break;
    }
    case Workload::kPutGetLatency: {
      const Histogram& h = p->stats.put_to_get;
      out.emplace_back("samples", static_cast<double>(h.count()));
      out.emplace_back("p50_ms", Ms(h.Percentile(50)));
      out.emplace_back("p90_ms", Ms(h.Percentile(90)));
      out.emplace_back("p99_ms", Ms(h.Percentile(99)));
      out.emplace_back("max_ms", Ms(h.max()));
      break;
    }
  }
  if (const PhaseResult* fill = FindPhase(r, "fill")) {
    const OpStats& f = fill->stats.op(Op::kPutRecords);
    out.emplace_back("fill_mb_per_s", PerSecond(static_cast<double>(f.record_bytes) / 1e6, fill->seconds));
  }
  out.emplace_back("errors", static_cast<double>(errors));
  out.emplace_back("throttled", static_cast<double>(s.throttled));
  return out;
}

}  // namespace

std::string FormatText(const Report& r) {
  const Options& o = *r.options;
  std::string out;
  auto w = std::back_inserter(out);
  fmt::format_to(w, "loadgen {} -> {}  protocol {}  {} connection(s) x {} in flight, {} thread(s)\n",
                 WorkloadName(o.workload), o.endpoint, o.protocol == Protocol::kH2 ? "h2c" : "http1",
                 o.connections, o.concurrency, o.threads);
  if (!r.error.empty()) fmt::format_to(w, "ERROR: {}\n", r.error);
  if (!r.unsupported.empty()) fmt::format_to(w, "NOT SUPPORTED by the target: {}\n", r.unsupported);
  for (const auto& p : r.phases) {
    fmt::format_to(w, "\nphase {}: {:.2f} s measured{}\n", p->name, p->seconds,
                   p->interrupted ? " (interrupted)" : "");
    for (size_t i = 0; i < kOpCount; ++i) {
      const OpStats& s = p->stats.ops[i];
      if (s.requests == 0) continue;
      double sec = p->seconds;
      fmt::format_to(w, "  {:<22} {:>10} ok        {:>11.1f} ok/s   {} errors\n",
                     OpName(static_cast<Op>(i)), Grouped(s.ok),
                     PerSecond(static_cast<double>(s.ok), sec), Grouped(s.error_count()));
      if (s.records > 0 || s.failed_records > 0) {
        fmt::format_to(w, "  {:<22} {:>10} records   {:>11.1f} rec/s  {:.2f} MB/s record data{}\n",
                       "", Grouped(s.records), PerSecond(static_cast<double>(s.records), sec),
                       PerSecond(static_cast<double>(s.record_bytes) / 1e6, sec),
                       s.failed_records ? fmt::format(", {} failed records", Grouped(s.failed_records))
                                        : std::string());
      }
      fmt::format_to(w, "  {:<22} latency {}\n", "", LatencyText(s.latency));
      for (const auto& [type, n] : s.errors) {
        fmt::format_to(w, "  {:<22} error {} x{}\n", "", type, Grouped(n));
      }
    }
    if (p->stats.put_to_get.count() > 0 || p->stats.put_get_missing > 0) {
      fmt::format_to(w, "  {:<22} latency {}\n", "put->get visible", LatencyText(p->stats.put_to_get));
      if (p->stats.put_get_missing) {
        fmt::format_to(w, "  {:<22} {} records not found by polling\n", "", p->stats.put_get_missing);
      }
    }
    if (p->stats.put_to_event.count() > 0 || p->stats.put_event_missing > 0) {
      fmt::format_to(w, "  {:<22} latency {}\n", "put->event", LatencyText(p->stats.put_to_event));
      if (p->stats.put_event_missing) {
        fmt::format_to(w, "  {:<22} {} records without an event in time\n", "", p->stats.put_event_missing);
      }
    }
  }
  if (o.workload == Workload::kSubscribeFanout && r.fanout.subscriptions > 0) {
    const FanoutNumbers& f = r.fanout;
    fmt::format_to(w,
                   "\nfan-out: {} subscriptions = {} consumers x {} shards; live: {} at start, min {}, "
                   "mean {:.1f}, {} at end\n",
                   f.subscriptions, f.consumers, f.shards, f.live_at_start, f.live_min, f.live_mean,
                   f.live_at_end);
    fmt::format_to(w,
                   "  deliveries {} of {} expected, {} missing, {} duplicates, {} foreign; {} streams "
                   "ended, {} resubscribes; drained {:.2f} s\n",
                   Grouped(f.deliveries), Grouped(f.expected), Grouped(f.missing), Grouped(f.duplicates),
                   Grouped(f.foreign), Grouped(f.stream_ends), Grouped(f.resubscribes), f.drain_s);
    for (const auto& [type, n] : f.stream_errors) fmt::format_to(w, "  stream ended by {} x{}\n", type, Grouped(n));
    if (const PhaseResult* p = FindPhase(r, r.main_phase); p && o.rate > 0 && p->seconds > 0) {
      double puts = static_cast<double>(p->stats.op(Op::kPutRecord).ok) / p->seconds;
      if (puts < 0.95 * o.rate) {
        fmt::format_to(w, "  WARNING: {:.0f} puts/s, below --rate {:.0f} (writers held back; add -c)\n", puts, o.rate);
      }
    }
  }
  auto summary = Summary(r);
  if (!summary.empty()) {
    fmt::format_to(w, "\nsummary:");
    for (const auto& [k, v] : summary) fmt::format_to(w, " {}={:.6g}", k, v);
    fmt::format_to(w, "\n");
  }
  fmt::format_to(w, "loadgen CPU: {:.2f} s\n", r.client_cpu_s);
  if (r.interrupted) fmt::format_to(w, "(interrupted: partial results)\n");
  return out;
}

std::string FormatJson(const Report& r) {
  const Options& o = *r.options;
  std::string out;
  auto w = std::back_inserter(out);
  fmt::format_to(w, "{{\n  \"tool\": \"shoal-loadgen\",\n  \"format\": 1,\n");
  fmt::format_to(w, "  \"label\": \"{}\",\n  \"workload\": \"{}\",\n", JsonEscape(o.label),
                 WorkloadName(o.workload));
  fmt::format_to(
      w,
      "  \"config\": {{\"endpoint\": \"{}\", \"protocol\": \"{}\", \"connections\": {}, "
      "\"concurrency\": {}, \"threads\": {}, \"duration_s\": {}, \"warmup_s\": {}, "
      "\"requests\": {}, \"seed\": {}, \"stream\": \"{}\", \"shards\": {}, "
      "\"records_per_request\": {}, \"record_bytes\": {}, \"keys\": {}, \"payloads\": {}, "
      "\"body_pool\": {}, \"fill_mb\": {}, \"passes\": {}, \"get_limit\": {}, "
      "\"poll_interval_ms\": {}, \"consumer\": \"{}\", \"event_timeout_s\": {}, \"subscriptions\": {}, "
      "\"max_consumers\": {}, \"sign\": {}, \"timeout_s\": {}, \"rate\": {}}},\n",
      JsonEscape(o.endpoint), o.protocol == Protocol::kH2 ? "h2" : "http1", o.connections,
      o.concurrency, o.threads, Num(o.duration_s), Num(o.warmup_s), o.requests, o.seed,
      JsonEscape(o.stream), o.shards, o.records_per_request, o.record_bytes, o.keys, o.payloads,
      o.body_pool, Num(o.fill_mb), o.passes, o.get_limit, Num(o.poll_interval_ms),
      JsonEscape(o.consumer), Num(o.event_timeout_s), o.subscriptions, o.max_consumers, o.sign ? "true" : "false", Num(o.timeout_s), Num(o.rate));
  fmt::format_to(w, "  \"interrupted\": {},\n  \"error\": \"{}\",\n", r.interrupted ? "true" : "false",
                 JsonEscape(r.error));
  fmt::format_to(w, "  \"unsupported\": \"{}\",\n", JsonEscape(r.unsupported));
  fmt::format_to(w, "  \"client_cpu_s\": {},\n", Num(r.client_cpu_s));
  if (o.workload == Workload::kSubscribeFanout) {
    const FanoutNumbers& f = r.fanout;
    fmt::format_to(w,
                   "  \"fanout\": {{\"subscriptions\": {}, \"consumers\": {}, \"shards\": {}, "
                   "\"live_at_start\": {}, \"live_min\": {}, \"live_mean\": {}, \"live_at_end\": {}, "
                   "\"expected\": {}, \"deliveries\": {}, \"missing\": {}, \"duplicates\": {}, "
                   "\"foreign\": {}, \"stream_ends\": {}, \"resubscribes\": {}, \"drain_s\": {}, "
                   "\"stream_errors\": {{",
                   f.subscriptions, f.consumers, f.shards, f.live_at_start, f.live_min, Num(f.live_mean),
                   f.live_at_end, f.expected, f.deliveries, f.missing, f.duplicates, f.foreign,
                   f.stream_ends, f.resubscribes, Num(f.drain_s));
    bool first_err = true;
    for (const auto& [type, n] : f.stream_errors) {
      fmt::format_to(w, "{}\"{}\": {}", first_err ? "" : ", ", JsonEscape(type), n);
      first_err = false;
    }
    fmt::format_to(w, "}}}},\n");
  }
  fmt::format_to(w, "  \"summary\": {{");
  bool first = true;
  for (const auto& [k, v] : Summary(r)) {
    fmt::format_to(w, "{}\"{}\": {}", first ? "" : ", ", k, Num(v));
    first = false;
  }
  fmt::format_to(w, "}},\n  \"phases\": [");
  for (size_t pi = 0; pi < r.phases.size(); ++pi) {
    const PhaseResult& p = *r.phases[pi];
    fmt::format_to(w, "{}\n    {{\"name\": \"{}\", \"seconds\": {}, \"slots\": {}, \"interrupted\": {}, \"ops\": {{",
                   pi ? "," : "", JsonEscape(p.name), Num(p.seconds), p.slots,
                   p.interrupted ? "true" : "false");
    bool first_op = true;
    for (size_t i = 0; i < kOpCount; ++i) {
      const OpStats& s = p.stats.ops[i];
      if (s.requests == 0) continue;
      double sec = p.seconds;
      fmt::format_to(
          w,
          "{}\n      \"{}\": {{\"requests\": {}, \"ok\": {}, \"errors\": {}, \"records\": {}, "
          "\"record_bytes\": {}, \"request_bytes\": {}, \"response_bytes\": {}, "
          "\"failed_records\": {}, \"throttled\": {}, \"ok_per_s\": {}, "
          "\"records_per_s\": {}, \"record_mb_per_s\": {}, \"latency_us\": {}, \"error_types\": {{",
          first_op ? "" : ",", OpName(static_cast<Op>(i)), s.requests, s.ok, s.error_count(),
          s.records, s.record_bytes, s.request_bytes, s.response_bytes, s.failed_records,
          s.throttled, Num(PerSecond(static_cast<double>(s.ok), sec)),
          Num(PerSecond(static_cast<double>(s.records), sec)),
          Num(PerSecond(static_cast<double>(s.record_bytes) / 1e6, sec)), LatencyJson(s.latency));
      bool first_err = true;
      for (const auto& [type, n] : s.errors) {
        fmt::format_to(w, "{}\"{}\": {}", first_err ? "" : ", ", JsonEscape(type), n);
        first_err = false;
      }
      fmt::format_to(w, "}}}}");
      first_op = false;
    }
    fmt::format_to(w,
                   "\n    }}, \"put_to_get_latency_us\": {}, \"put_get_missing\": {}, "
                   "\"put_to_event_latency_us\": {}, \"put_event_missing\": {}}}",
                   LatencyJson(p.stats.put_to_get), p.stats.put_get_missing,
                   LatencyJson(p.stats.put_to_event), p.stats.put_event_missing);
  }
  fmt::format_to(w, "\n  ]\n}}\n");
  return out;
}

}  // namespace shoal::loadgen
