#pragma once
// A background thread that runs one step again and again: each step says when it wants to
// run next, and the thread sleeps until then (at most max_wait_ms) or until poked. Used for
// timed stream transitions and for retention.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "common/clock.h"

namespace shoal::service {

class BackgroundLoop {
 public:
  // Returns the clock time (ms) of the next run wanted, or nullopt for "no hurry".
  using Step = std::function<std::optional<int64_t>()>;

  // `clock` must outlive the loop, and so must whatever `step` uses.
  BackgroundLoop(Clock& clock, Step step, int64_t max_wait_ms);
  ~BackgroundLoop();  // Stops.

  void Start();
  // Wakes the thread to run the step now.
  void Poke();
  // Joins the thread. Idempotent.
  void Stop();

 private:
  void Run();

  Clock& clock_;
  const Step step_;
  const int64_t max_wait_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;   // GUARDED_BY(mu_)
  bool poked_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace shoal::service
