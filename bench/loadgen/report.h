#pragma once
// The human-readable summary and the JSON file (raw numbers, for comparisons across runs and
// servers; the layout is described in bench/README.md).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "options.h"
#include "runner.h"

namespace shoal::loadgen {

// subscribe-fanout's own numbers (the latency histogram is the phase's put_to_event).
struct FanoutNumbers {
  int subscriptions = 0;
  int consumers = 0;
  int shards = 0;
  int live_at_start = 0;      // streams live when the writers started
  int live_min = 0;           // fewest live streams seen during the measurement (sampled 20x/s)
  double live_mean = 0;
  int live_at_end = 0;        // when the writers stopped
  uint64_t expected = 0;      // measured records x subscriptions of their shard
  uint64_t deliveries = 0;
  uint64_t missing = 0;
  uint64_t duplicates = 0;
  uint64_t foreign = 0;
  uint64_t stream_ends = 0;
  uint64_t resubscribes = 0;
  double drain_s = 0;         // waited after the writers stopped for the last events
  std::map<std::string, uint64_t, std::less<>> stream_errors;
};

struct Report {
  const Options* options = nullptr;
  std::vector<std::unique_ptr<PhaseResult>> phases;
  std::string main_phase;  // the phase whose numbers form the summary
  bool interrupted = false;
  std::string error;       // setup failure, if any
  std::string unsupported; // the target answered that it cannot run this workload (why)
  double client_cpu_s = 0; // the load generator's own CPU time (user + system), whole run
  FanoutNumbers fanout;    // subscribe-fanout only
};

std::string FormatText(const Report& report);
std::string FormatJson(const Report& report);

}  // namespace shoal::loadgen
