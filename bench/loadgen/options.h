#pragma once
// Everything `loadgen` can be told (main.cc documents each flag in --help).

#include <cstdint>
#include <string>
#include <string_view>

#include "connection.h"
#include "sigv4.h"

namespace shoal::loadgen {

enum class Workload : uint8_t {
  kPutRecords,     // PutRecords throughput
  kPutRecord,      // PutRecord latency (and throughput)
  kGetRecords,     // read-back throughput (optionally after a fill)
  kPutGetLatency,  // PutRecord, then poll GetRecords until the record shows up
  kListStreams,    // control plane: measures the transport and dispatch
  kDescribeLimits,
  kPutRecordAllShards,  // PutRecord round-robin over every shard (ExplicitHashKey), e.g. paced
  kSubscribeLatency,    // PutRecord, then wait for it on a SubscribeToShard event stream
  kSubscribeFanout,     // N concurrent subscriptions, paced writes, put -> event latency of all
};
std::string_view WorkloadName(Workload w);

struct Options {
  // Target and transport.
  std::string endpoint = "http://127.0.0.1:4567";
  Protocol protocol = Protocol::kHttp1;
  int connections = 4;
  int concurrency = 1;  // requests in flight per connection (h2 streams / http1 pipelining)
  int threads = 1;      // client event-loop threads; connections are spread over them
  double timeout_s = 30;
  double error_backoff_ms = 10;
  double rate = 0;  // iterations per second over all slots (open loop); 0 = as fast as answers come

  // How long.
  Workload workload = Workload::kPutRecords;
  double duration_s = 10;
  int64_t requests = 0;  // iterations after warm-up; 0 = run for duration_s
  double warmup_s = 2;
  uint64_t seed = 1;

  // Stream.
  std::string stream = "loadgen";
  int shards = 4;
  bool create = false;
  bool delete_after = false;

  // Records.
  int records_per_request = 500;
  int record_bytes = 1024;
  int keys = 1000;
  int payloads = 64;
  int body_pool = 16;

  // Reading.
  double fill_mb = 0;   // get-records: write this much (PutRecords) before reading
  int passes = 1;       // get-records: read every shard from TRIM_HORIZON this many times
  int get_limit = 10000;
  double poll_interval_ms = 0;  // put-get-latency: pause between empty polls
  std::string consumer = "loadgen";  // subscribe-latency: consumer name
  double event_timeout_s = 10;       // subscribe-latency: wait this long for a record's event
  int subscriptions = 100;           // subscribe-fanout: concurrent SubscribeToShard streams
  int max_consumers = 20;            // subscribe-fanout: consumers (AWS allows 20 per stream)
  double subscribe_timeout_s = 120;  // subscribe-fanout: wait this long for every stream to be live

  // Auth.
  bool sign = false;
  Credentials credentials;

  // Output.
  std::string json_path;
  std::string label;
  bool quiet = false;
};

}  // namespace shoal::loadgen
