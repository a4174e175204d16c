#include "service/transition_driver.h"

#include <algorithm>
#include <chrono>

namespace shoal::service {

TransitionDriver::TransitionDriver(StreamService& service, Clock& clock, int64_t max_wait_ms)
    : service_(service), clock_(clock), max_wait_ms_(max_wait_ms) {}

TransitionDriver::~TransitionDriver() { Stop(); }

void TransitionDriver::Start() {
  std::lock_guard<std::mutex> l(mu_);
  stop_ = false;
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });  // joined in Stop()
}

void TransitionDriver::Poke() {
  std::lock_guard<std::mutex> l(mu_);
  poked_ = true;
  cv_.notify_one();
}

void TransitionDriver::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void TransitionDriver::Run() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    l.unlock();
    std::optional<int64_t> next = service_.CompleteDueTransitions();
    l.lock();
    int64_t wait = max_wait_ms_;
    if (next) wait = std::clamp<int64_t>(*next - clock_.NowMs(), 1, max_wait_ms_);
    cv_.wait_for(l, std::chrono::milliseconds(wait), [this] { return stop_ || poked_; });
    poked_ = false;
  }
}

}  // namespace shoal::service
