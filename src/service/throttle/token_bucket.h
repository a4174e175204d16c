#pragma once
// A token bucket on caller-supplied time (nanoseconds from Clock::MonotonicNs), so tests drive
// it with a FakeClock and nothing here reads a clock or sleeps.
//
// The bucket holds at most `capacity` tokens and refills at `rate` tokens per second. It starts
// full. Taking more than is left is refused (Kinesis rejects, it never delays), except that a
// request larger than the whole capacity is let through from a full bucket and leaves the
// bucket in debt (negative), which later requests wait out. Not thread-safe: the owner locks.

#include <cstdint>

namespace shoal::service {

class TokenBucket {
 public:
  TokenBucket() = default;
  TokenBucket(double rate_per_sec, double capacity, int64_t now_ns)
      : rate_(Micro(rate_per_sec)), capacity_(Fixed(capacity)), level_(capacity_),
        last_ns_(now_ns) {}

  // The tokens available at `now_ns` (negative while in debt).
  double Level(int64_t now_ns);
  // True when `n` tokens could be taken now (see TryTake).
  bool CanTake(double n, int64_t now_ns);
  // Takes `n` tokens when CanTake; false (and nothing taken) otherwise.
  bool TryTake(double n, int64_t now_ns);
  // Takes `n` tokens unconditionally; the level may go negative.
  void Charge(double n, int64_t now_ns);
  // Sets the level (clamped to the capacity), e.g. to impose a penalty.
  void SetLevel(double level, int64_t now_ns);

 private:
  // Exact arithmetic: rates in millionths of a token per second, levels in 10^-15 tokens, so
  // rate × elapsed nanoseconds is the refill with no rounding (and boundaries are exact).
  using Fx = __int128;
  static constexpr int64_t kMicro = 1'000'000;
  static int64_t Micro(double v) { return static_cast<int64_t>(v * kMicro + 0.5); }
  static Fx Fixed(double tokens) { return Fx{Micro(tokens)} * 1'000'000'000; }
  void Refill(int64_t now_ns);

  int64_t rate_ = 0;  // micro-tokens per second
  Fx capacity_ = 0;
  Fx level_ = 0;
  int64_t last_ns_ = 0;
};

}  // namespace shoal::service
