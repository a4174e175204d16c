#pragma once
// The time seam. Production code takes a Clock& and never calls std::chrono clocks directly,
// so tests drive time with FakeClock::Advance() instead of sleeping.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace shoal {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock milliseconds since the Unix epoch (what Kinesis timestamps are made of).
  virtual int64_t NowMs() const = 0;
  // A monotonic reading in nanoseconds for measuring intervals.
  virtual int64_t MonotonicNs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t MonotonicNs() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  // The process-wide instance.
  static SystemClock& Get() {
    static SystemClock clock;
    return clock;
  }
};

// Thread-safe manual clock for tests.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ms = 1'700'000'000'000) : now_ms_(now_ms) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  int64_t MonotonicNs() const override { return now_ms_.load() * 1'000'000; }
  void AdvanceMs(int64_t ms) { now_ms_ += ms; }
  void SetMs(int64_t ms) { now_ms_ = ms; }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace shoal
