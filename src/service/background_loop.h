#pragma once
// Drives timed stream transitions (CREATING → ACTIVE, DELETING → gone, UPDATING → ACTIVE)
// from a background thread, so they complete even when no request arrives.

#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "service/stream_service.h"

namespace shoal::service {

class TransitionDriver {
 public:
  // `service` and `clock` must outlive the driver. `max_wait_ms` bounds how long the thread
  // sleeps without re-checking.
  TransitionDriver(StreamService& service, Clock& clock, int64_t max_wait_ms = 1000);
  ~TransitionDriver();  // Stops.

  void Start();
  // Wakes the thread to re-check now (e.g. after a command scheduled a transition).
  void Poke();
  // Joins the thread. Idempotent.
  void Stop();

 private:
  void Run();

  StreamService& service_;
  Clock& clock_;
  const int64_t max_wait_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;    // GUARDED_BY(mu_)
  bool poked_ = false;   // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace shoal::service
