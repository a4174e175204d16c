#pragma once
// The on-demand autoscaler's driver: once per interval it drains the write counters of the
// data plane (UsageMeter), gives each on-demand stream's counts to the OnDemandScaler, and
// applies the step it decides as one reshard command (StreamService::ApplyOnDemandScaling).
// Run by a BackgroundLoop in the server; tests call Tick() with a FakeClock.
//
// Thread-safety: Tick() must not run concurrently with itself (one loop thread calls it).

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "service/autoscale/on_demand_scaler.h"
#include "service/autoscale/usage_meter.h"
#include "service/stream_service.h"

namespace shoal::service {

struct AutoscalerOptions {
  int64_t interval_ms = 10'000;  // how often usage is sampled and decisions are taken
  ScalerOptions scaler;
};

// One step taken (or attempted) in a Tick, for the log.
struct ScalingStep {
  std::string stream;
  int64_t open_before = 0;
  ScalingAction action;
  SvcStatus status;  // the commit's result
};

class Autoscaler {
 public:
  // `streams`, `meter` and `clock` must outlive the autoscaler.
  Autoscaler(StreamService& streams, UsageMeter& meter, Clock& clock, AutoscalerOptions options);

  // One round. Returns the steps taken; next_run_ms() says when to run again.
  std::vector<ScalingStep> Tick();
  int64_t next_run_ms() const { return next_run_ms_; }
  const OnDemandScaler& scaler() const { return scaler_; }

 private:
  StreamService& streams_;
  UsageMeter& meter_;
  Clock& clock_;
  const AutoscalerOptions options_;
  OnDemandScaler scaler_;
  std::optional<int64_t> last_tick_ms_;
  int64_t next_run_ms_ = 0;
};

}  // namespace shoal::service
