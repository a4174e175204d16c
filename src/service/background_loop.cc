#include "service/background_loop.h"

#include <algorithm>
#include <chrono>

namespace shoal::service {

BackgroundLoop::BackgroundLoop(Clock& clock, Step step, int64_t max_wait_ms)
    : clock_(clock), step_(std::move(step)), max_wait_ms_(max_wait_ms) {}

BackgroundLoop::~BackgroundLoop() { Stop(); }

void BackgroundLoop::Start() {
  std::lock_guard<std::mutex> l(mu_);
  stop_ = false;
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });  // joined in Stop()
}

void BackgroundLoop::Poke() {
  std::lock_guard<std::mutex> l(mu_);
  poked_ = true;
  cv_.notify_one();
}

void BackgroundLoop::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void BackgroundLoop::Run() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    l.unlock();
    std::optional<int64_t> next = step_();
    l.lock();
    int64_t wait = max_wait_ms_;
    if (next) wait = std::clamp<int64_t>(*next - clock_.NowMs(), 1, max_wait_ms_);
    cv_.wait_for(l, std::chrono::milliseconds(wait), [this] { return stop_ || poked_; });
    poked_ = false;
  }
}

}  // namespace shoal::service
