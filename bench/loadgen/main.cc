// loadgen: a native load generator for Kinesis Data Streams endpoints (shoal and others).
// `loadgen --help` documents every flag; bench/README.md shows typical runs.

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <thread>

#include "fanout.h"
#include "fanout_client.h"
#include "options.h"
#include "report.h"
#include "runner.h"
#include "workloads.h"

namespace {

using namespace shoal::loadgen;

const std::map<std::string, Workload> kWorkloads = {
    {"put-records", Workload::kPutRecords},
    {"put-record", Workload::kPutRecord},
    {"get-records", Workload::kGetRecords},
    {"put-get-latency", Workload::kPutGetLatency},
    {"list-streams", Workload::kListStreams},
    {"describe-limits", Workload::kDescribeLimits},
    {"put-record-all-shards", Workload::kPutRecordAllShards},
    {"subscribe-latency", Workload::kSubscribeLatency},
    {"subscribe-fanout", Workload::kSubscribeFanout},
};
const std::map<std::string, Protocol> kProtocols = {{"http1", Protocol::kHttp1},
                                                    {"h2", Protocol::kH2}};

// Flags that are parsed as text, then mapped.
std::string workload = "put-records";
std::string protocol = "http1";

void AddFlags(CLI::App& app, Options& o) {
  std::vector<std::string> workloads, protocols;
  for (const auto& [k, v] : kWorkloads) workloads.push_back(k);
  for (const auto& [k, v] : kProtocols) protocols.push_back(k);
  app.add_option("-w,--workload", workload,
                 "put-records: PutRecords throughput | put-record: PutRecord latency | "
                 "get-records: read-back throughput (after --fill-mb) | put-get-latency: put a "
                 "record, poll GetRecords until it shows up | list-streams, describe-limits: "
                 "control-plane calls (transport overhead) | put-record-all-shards: PutRecord "
                 "round-robin over every shard via ExplicitHashKey (with --rate: R/shards "
                 "records/s per shard) | subscribe-latency: register a consumer, SubscribeToShard "
                 "(HTTP/1.1, event stream), PutRecord and time until its event arrives | "
                 "subscribe-fanout: --subscriptions streams over 20 consumers x ceil(N/20) shards, "
                 "PutRecord at --rate over those shards, put -> event latency of every delivery")
      ->check(CLI::IsMember(workloads))
      ->capture_default_str();
  app.add_option("--endpoint", o.endpoint, "Kinesis endpoint (http:// only)")->capture_default_str();
  app.add_option("--protocol", protocol,
                 "http1: HTTP/1.1 keep-alive; h2: HTTP/2 cleartext with prior knowledge")
      ->check(CLI::IsMember(protocols))
      ->capture_default_str();
  app.add_option("-c,--connections", o.connections, "TCP connections")
      ->capture_default_str()->check(CLI::Range(1, 10000));
  app.add_option("--concurrency", o.concurrency,
                 "Requests in flight per connection (h2: concurrent streams; http1: pipelined "
                 "requests)")
      ->capture_default_str()->check(CLI::Range(1, 1000));
  app.add_option("--threads", o.threads, "Client event-loop threads (connections are spread over them)")
      ->capture_default_str()->check(CLI::Range(1, 256));
  app.add_option("-d,--duration", o.duration_s, "Seconds to measure after the warm-up (0 = no limit)")
      ->capture_default_str()->check(CLI::Range(0.0, 86400.0));
  app.add_option("-n,--requests", o.requests,
                 "Stop after this many measured iterations (requests; put-get-latency: "
                 "put+poll rounds); 0 = no limit")
      ->capture_default_str()->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  app.add_option("--warmup", o.warmup_s, "Seconds of load before measuring")
      ->capture_default_str()->check(CLI::Range(0.0, 3600.0));
  app.add_option("--seed", o.seed, "Seed for keys, payloads and choices (runs with the same seed send the same data)")
      ->capture_default_str();
  app.add_option("--timeout", o.timeout_s, "Seconds before an unanswered request fails (Timeout) and its connection is dropped")
      ->capture_default_str()->check(CLI::Range(0.1, 3600.0));
  app.add_option("--rate", o.rate,
                 "Open loop: this many iterations per second over all slots (0 = each slot "
                 "sends as soon as its previous answer is in)")
      ->capture_default_str()->check(CLI::Range(0.0, 1e9));
  app.add_option("--error-backoff-ms", o.error_backoff_ms, "Pause of a slot after a failed request")
      ->capture_default_str()->check(CLI::Range(0.0, 60000.0));

  app.add_option("-s,--stream", o.stream, "Stream name")->capture_default_str();
  app.add_option("--shards", o.shards, "Shard count for --create")
      ->capture_default_str()->check(CLI::Range(1, 100000));
  app.add_flag("--create", o.create, "Create the stream if needed (an existing one is used as is) and wait until ACTIVE");
  app.add_flag("--delete-after", o.delete_after, "Delete the stream at the end");

  app.add_option("--records-per-request", o.records_per_request, "PutRecords entries per request")
      ->capture_default_str()->check(CLI::Range(1, 500));
  app.add_option("--record-bytes", o.record_bytes, "Data bytes per record")
      ->capture_default_str()->check(CLI::Range(1, 1 << 20));
  app.add_option("--keys", o.keys, "Distinct random partition keys")
      ->capture_default_str()->check(CLI::Range(1, 10000000));
  app.add_option("--payloads", o.payloads, "Distinct random record payloads (base64 precomputed)")
      ->capture_default_str()->check(CLI::Range(1, 100000));
  app.add_option("--body-pool", o.body_pool, "Distinct prebuilt request bodies cycled through")
      ->capture_default_str()->check(CLI::Range(1, 100000));

  app.add_option("--fill-mb", o.fill_mb,
                 "get-records: first write this many MB (10^6 bytes) of record data with "
                 "PutRecords; 0 = read what is there")
      ->capture_default_str()->check(CLI::Range(0.0, 1e6));
  app.add_option("--passes", o.passes, "get-records: read every shard from TRIM_HORIZON this many times")
      ->capture_default_str()->check(CLI::Range(1, 1000));
  app.add_option("--get-limit", o.get_limit, "GetRecords Limit")
      ->capture_default_str()->check(CLI::Range(1, 10000));
  app.add_option("--poll-interval-ms", o.poll_interval_ms,
                 "put-get-latency: pause between GetRecords polls that did not return the record")
      ->capture_default_str()->check(CLI::Range(0.0, 60000.0));

  app.add_option("--consumer", o.consumer, "subscribe-latency: consumer name (reused if registered)")
      ->capture_default_str();
  app.add_option("--event-timeout", o.event_timeout_s,
                 "subscribe-latency: seconds to wait for a record's event before counting it missing")
      ->capture_default_str()->check(CLI::Range(0.1, 3600.0));

  app.add_option("--subscriptions", o.subscriptions,
                 "subscribe-fanout: concurrent SubscribeToShard streams (one HTTP/1.1 connection "
                 "each), subscription i = consumer <--consumer>-(i % C) on shard i / C")
      ->capture_default_str()->check(CLI::Range(1, 100000));
  app.add_option("--max-consumers", o.max_consumers,
                 "subscribe-fanout: consumers to spread them over (C; AWS allows 20 per stream); "
                 "the stream gets ceil(N / C) shards unless --shards says otherwise")
      ->capture_default_str()->check(CLI::Range(1, 20));
  app.add_option("--subscribe-timeout", o.subscribe_timeout_s,
                 "subscribe-fanout: seconds to wait for every stream to be live before writing")
      ->capture_default_str()->check(CLI::Range(1.0, 3600.0));

  app.add_flag("--sign", o.sign, "Compute real SigV4 signatures (default: well-formed, fixed signature)");
  app.add_option("--access-key", o.credentials.access_key, "Access key id")->capture_default_str();
  app.add_option("--secret-key", o.credentials.secret_key, "Secret key (for --sign)")->capture_default_str();
  app.add_option("--region", o.credentials.region, "Signing region")->capture_default_str();

  app.add_option("--json", o.json_path, "Write the raw numbers as JSON to this file");
  app.add_option("--label", o.label, "Free text stored in the JSON (e.g. the target's name)");
  app.add_flag("-q,--quiet", o.quiet, "Print only the summary (headline numbers, loadgen CPU)");
}

bool NeedsStream(Workload w) {
  return w != Workload::kListStreams && w != Workload::kDescribeLimits;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "loadgen: load generator for Kinesis Data Streams endpoints (HTTP/1.1 and h2c, JSON 1.1).\n"
      "MB = 10^6 bytes of record data (before base64). Latency covers send to full response."};
  AddFlags(app, o);
  CLI11_PARSE(app, argc, argv);
  o.workload = kWorkloads.at(workload);
  o.protocol = kProtocols.at(protocol);
  if (o.requests > 0 && !app.count("--duration")) o.duration_s = 0;
  if (o.workload == Workload::kPutGetLatency && !app.count("--connections")) o.connections = 1;
  if (o.workload == Workload::kPutRecord && !app.count("--connections")) o.connections = 1;
  if (o.workload == Workload::kSubscribeLatency && !app.count("--connections")) o.connections = 1;
  FanoutPlan plan;
  if (o.workload == Workload::kSubscribeFanout) {
    plan = MakeFanoutPlan(o.subscriptions, o.max_consumers);
    if (!app.count("--shards")) o.shards = plan.shards;
    if (!app.count("--rate")) o.rate = 10.0 * plan.shards;  // 10 events/s per subscription
    // Enough writers that PutRecord latency does not hold the rate back (about 250/s each).
    if (!app.count("--connections")) o.connections = std::clamp(static_cast<int>(o.rate / 250) + 1, 2, 16);
  }

  InstallSignalHandlers();

  Shared shared;
  shared.options = &o;
  PayloadOptions po;
  po.stream = o.stream;
  po.records_per_request = o.records_per_request;
  po.record_bytes = o.record_bytes;
  po.keys = o.keys;
  po.payloads = o.payloads;
  po.bodies = o.body_pool;
  po.seed = o.seed;
  po.hash_bodies = o.sign;
  if (o.workload == Workload::kPutRecords || (o.workload == Workload::kGetRecords && o.fill_mb > 0)) {
    shared.put_records = MakePutRecordsPool(po);
  }
  if (o.workload == Workload::kPutRecord) shared.put_record = MakePutRecordPool(po);

  Runner runner(o, shared);
  Report report;
  report.options = &o;
  report.main_phase = std::string(WorkloadName(o.workload));
  if (auto err = runner.Start(); !err.empty()) {
    fmt::print(stderr, "loadgen: {}\n", err);
    return 2;
  }

  int rc = 0;
  // subscribe-fanout: alive until after runner.Shutdown() (handlers on the workers refer to them).
  std::unique_ptr<FanoutShared> fanout_shared;
  std::unique_ptr<FanoutClient> fanout_client;
  SetupResult setup;
  bool stream_ready = false;
  if (NeedsStream(o.workload) || o.create) {
    PhaseSpec prep{.name = "setup", .one_slot = true,
                   .slot = [&](SlotContext& ctx) { return PrepareStream(ctx, setup); }};
    runner.Run(prep);
    if (!setup.ok) {
      report.error = setup.error;
      rc = g_interrupts.load() ? 130 : 1;
    } else {
      stream_ready = true;
      shared.shard_ids = setup.shard_ids;
      shared.shard_starting_hash_keys = setup.shard_starting_hash_keys;
      shared.stream_arn = setup.stream_arn;
      if (!o.quiet) {
        fmt::print(stderr, "loadgen: stream {} is ACTIVE with {} shard(s)\n", o.stream,
                   shared.shard_ids.size());
      }
    }
  }

  if (rc == 0 && o.workload == Workload::kSubscribeLatency) {
    SetupResult consumer = setup;
    runner.Run({.name = "setup-consumer", .one_slot = true,
                .slot = [&](SlotContext& ctx) { return PrepareConsumer(ctx, consumer); }});
    if (!consumer.ok) {
      report.error = consumer.error;
      if (consumer.unsupported) report.unsupported = consumer.error;
      rc = g_interrupts.load() ? 130 : (consumer.unsupported ? 3 : 1);
    } else {
      shared.consumer_arn = consumer.consumer_arn;
    }
  }

  std::vector<std::string> consumer_arns;
  if (rc == 0 && o.workload == Workload::kSubscribeFanout) {
    if (shared.shard_ids.size() < static_cast<size_t>(plan.shards)) {
      report.error = fmt::format("stream {} has {} shard(s); {} subscriptions over {} consumers need {}",
                                 o.stream, shared.shard_ids.size(), o.subscriptions, plan.consumers, plan.shards);
      rc = 1;
    }
    for (int c = 0; rc == 0 && c < plan.consumers; ++c) {
      SetupResult consumer = setup;
      std::string name = fmt::format("{}-{}", o.consumer, c);
      runner.Run({.name = "setup-consumer", .one_slot = true,
                  .slot = [&](SlotContext& ctx) { return PrepareConsumer(ctx, consumer, name); }});
      if (!consumer.ok) {
        report.error = consumer.error;
        if (consumer.unsupported) report.unsupported = consumer.error;
        rc = g_interrupts.load() ? 130 : (consumer.unsupported ? 3 : 1);
      } else {
        consumer_arns.push_back(consumer.consumer_arn);
      }
    }
    if (rc == 0 && !o.quiet) {
      fmt::print(stderr, "loadgen: {} consumer(s) ACTIVE; opening {} subscription(s)\n", plan.consumers,
                 plan.subs.size());
    }
  }

  if (rc == 0) {
    auto limits = [&](PhaseSpec spec) {
      spec.warmup_s = o.warmup_s;
      spec.duration_s = o.duration_s;
      spec.iterations = o.requests;
      return spec;
    };
    switch (o.workload) {
      case Workload::kPutRecords:
        report.phases.push_back(runner.Run(limits({.name = "put-records", .slot = PutRecordsSlot})));
        break;
      case Workload::kPutRecord:
        report.phases.push_back(runner.Run(limits({.name = "put-record", .slot = PutRecordSlot})));
        break;
      case Workload::kPutGetLatency:
        report.phases.push_back(
            runner.Run(limits({.name = "put-get-latency", .slot = PutGetLatencySlot})));
        break;
      case Workload::kListStreams:
        report.phases.push_back(runner.Run(limits(
            {.name = "list-streams",
             .slot = [](SlotContext& ctx) { return EmptyInputSlot(ctx, Op::kListStreams); }})));
        break;
      case Workload::kDescribeLimits:
        report.phases.push_back(runner.Run(limits(
            {.name = "describe-limits",
             .slot = [](SlotContext& ctx) { return EmptyInputSlot(ctx, Op::kDescribeLimits); }})));
        break;
      case Workload::kPutRecordAllShards:
        report.phases.push_back(runner.Run(
            limits({.name = "put-record-all-shards", .slot = PutRecordAllShardsSlot})));
        break;
      case Workload::kSubscribeLatency: {
        report.phases.push_back(
            runner.Run(limits({.name = "subscribe-latency", .slot = SubscribeLatencySlot})));
        // No event ever: the target cannot subscribe (its answers are the error types).
        const PhaseStats& s = report.phases.back()->stats;
        const OpStats& sub = s.op(Op::kSubscribeToShard);
        if (s.put_to_event.count() == 0 && sub.ok == 0 && !sub.errors.empty() && g_interrupts.load() == 0) {
          report.unsupported = "SubscribeToShard: " + sub.errors.begin()->first;
          report.error = report.unsupported;
          rc = 3;
        }
        break;
      }
      case Workload::kSubscribeFanout: {
        FanoutNumbers& f = report.fanout;
        f.subscriptions = static_cast<int>(plan.subs.size());
        f.consumers = plan.consumers;
        f.shards = plan.shards;
        fanout_shared = std::make_unique<FanoutShared>(plan);
        shared.fanout = fanout_shared.get();
        fanout_client = std::make_unique<FanoutClient>(
            o, plan, std::vector<std::string>(shared.shard_ids.begin(), shared.shard_ids.begin() + plan.shards),
            consumer_arns, runner.data_workers());
        fanout_client->Start();
        auto t0 = SteadyClock::now();
        auto last_print = t0;
        while (fanout_client->live() < f.subscriptions && g_interrupts.load() == 0 &&
               SteadyClock::now() - t0 < std::chrono::duration<double>(o.subscribe_timeout_s)) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          if (!o.quiet && SteadyClock::now() - last_print > std::chrono::seconds(2)) {
            last_print = SteadyClock::now();
            fmt::print(stderr, "loadgen: {} of {} subscriptions live\n", fanout_client->live(), f.subscriptions);
          }
        }
        f.live_at_start = fanout_client->live();
        if (!o.quiet) {
          fmt::print(stderr, "loadgen: {} of {} subscriptions live after {:.2f} s; writing\n", f.live_at_start,
                     f.subscriptions, std::chrono::duration<double>(SteadyClock::now() - t0).count());
        }
        // Live streams, sampled 20 times a second during the measurement window.
        std::atomic<bool> sampling{true};
        int live_min = f.live_at_start;
        double live_sum = 0;
        int live_n = 0;
        std::thread sampler([&] {
          auto measure_start = SteadyClock::now() + std::chrono::duration<double>(o.warmup_s);
          while (sampling.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            if (SteadyClock::now() < measure_start) continue;
            int live = fanout_client->live();
            live_min = live_n ? std::min(live_min, live) : live;
            live_sum += live;
            ++live_n;
          }
        });
        report.phases.push_back(runner.Run(limits({.name = "subscribe-fanout", .slot = FanoutWriterSlot})));
        sampling = false;
        sampler.join();
        f.live_min = live_n ? live_min : f.live_at_start;
        f.live_mean = live_n ? live_sum / live_n : f.live_at_start;
        f.live_at_end = fanout_client->live();
        // Drain: wait (up to --event-timeout) until every measured record reached every stream.
        auto d0 = SteadyClock::now();
        while (fanout_client->deliveries() < fanout_shared->expected_deliveries.load() &&
               g_interrupts.load() < 2 &&
               SteadyClock::now() - d0 < std::chrono::duration<double>(o.event_timeout_s)) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        f.drain_s = std::chrono::duration<double>(SteadyClock::now() - d0).count();
        fanout_client->Stop();
        FanoutTotals t = fanout_client->Collect(fanout_shared->acked);
        PhaseStats& ps = report.phases.back()->stats;
        ps.put_to_event = t.latency;
        ps.put_event_missing = t.missing;
        ps.op(Op::kSubscribeToShard).Merge(t.subscribe);
        f.expected = t.expected;
        f.deliveries = t.deliveries;
        f.missing = t.missing;
        f.duplicates = t.duplicates;
        f.foreign = t.foreign;
        f.stream_ends = t.stream_ends;
        f.resubscribes = t.resubscribes;
        f.stream_errors = t.stream_errors;
        if (t.subscribe.ok == 0 && !t.subscribe.errors.empty() && g_interrupts.load() == 0) {
          report.unsupported = "SubscribeToShard: " + t.subscribe.errors.begin()->first;
          report.error = report.unsupported;
          rc = 3;
        }
        break;
      }
      case Workload::kGetRecords: {
        if (o.fill_mb > 0) {
          if (!o.quiet) fmt::print(stderr, "loadgen: writing {} MB before reading\n", o.fill_mb);
          report.phases.push_back(runner.Run(
              {.name = "fill", .bytes = static_cast<int64_t>(o.fill_mb * 1e6), .slot = PutRecordsSlot}));
        }
        if (g_interrupts.load() == 0) {
          // Reads until every shard is caught up (or --duration / --requests ends it first).
          report.phases.push_back(runner.Run({.name = "get-records",
                                              .duration_s = o.duration_s,
                                              .iterations = o.requests,
                                              .slot = GetRecordsSlot}));
        }
        break;
      }
    }
  }

  report.interrupted = g_interrupts.load() > 0;
  if (stream_ready && o.delete_after && g_interrupts.load() < 2) {
    SetupResult del;
    runner.Run({.name = "teardown", .one_slot = true,
                .slot = [&](SlotContext& ctx) { return DeleteStream(ctx, del); }});
    if (!del.ok) fmt::print(stderr, "loadgen: DeleteStream {}: {}\n", o.stream, del.error);
  }
  runner.Shutdown();
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  report.client_cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                        static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;

  std::string text = FormatText(report);
  if (o.quiet) {
    auto pos = text.find("summary:");
    fmt::print("{}", pos == std::string::npos ? text : text.substr(pos));
  } else {
    fmt::print("{}", text);
  }
  if (!o.json_path.empty()) {
    std::string tmp = o.json_path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << FormatJson(report);
      if (!out) {
        fmt::print(stderr, "loadgen: cannot write {}\n", o.json_path);
        return 1;
      }
    }
    std::rename(tmp.c_str(), o.json_path.c_str());
  }
  if (report.interrupted) return 130;
  return rc;
}
