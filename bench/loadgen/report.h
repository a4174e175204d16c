#pragma once
// The human-readable summary and the JSON file (raw numbers, for comparisons across runs and
// servers; the layout is described in bench/README.md).

#include <memory>
#include <string>
#include <vector>

#include "options.h"
#include "runner.h"

namespace shoal::loadgen {

struct Report {
  const Options* options = nullptr;
  std::vector<std::unique_ptr<PhaseResult>> phases;
  std::string main_phase;  // the phase whose numbers form the summary
  bool interrupted = false;
  std::string error;       // setup failure, if any
  std::string unsupported; // the target answered that it cannot run this workload (why)
  double client_cpu_s = 0; // the load generator's own CPU time (user + system), whole run
};

std::string FormatText(const Report& report);
std::string FormatJson(const Report& report);

}  // namespace shoal::loadgen
