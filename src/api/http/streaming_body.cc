#include "api/http/streaming_body.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace shoal::api::transport {

StreamingBody::StreamingBody(std::weak_ptr<boost::asio::io_context> io_context,
                             std::function<void()> on_ready)
    : io_context_(std::move(io_context)), on_ready_(std::move(on_ready)) {}

std::shared_ptr<StreamingBody> StreamingBody::MakeClosed(
    std::weak_ptr<boost::asio::io_context> io_context) {
  auto sink = std::make_shared<StreamingBody>(std::move(io_context), nullptr);
  sink->Close();
  return sink;
}

bool StreamingBody::Write(std::string bytes) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (closed_ || finished_) return false;
    if (bytes.empty()) return true;
    buffered_ += bytes.size();
    queue_.push_back(std::move(bytes));
    wake = !std::exchange(wake_pending_, true);
  }
  if (wake) PostWake();
  return true;
}

void StreamingBody::Finish() {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (closed_ || finished_) return;
    finished_ = true;
    wake = !std::exchange(wake_pending_, true);
  }
  if (wake) PostWake();
}

size_t StreamingBody::Buffered() const {
  std::lock_guard lock(mu_);
  return buffered_;
}

void StreamingBody::NotifyWhenDrained(size_t low_water, std::function<void()> fn) {
  Callbacks ready;
  std::function<void()> replaced;  // destroyed outside mu_
  {
    std::lock_guard lock(mu_);
    replaced = std::exchange(on_drained_, std::move(fn));
    low_water_ = low_water;
    CollectDrainedLocked(ready);
  }
  PostAll(std::move(ready));
}

bool StreamingBody::Closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

void StreamingBody::NotifyWhenClosed(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    if (!closed_) {
      on_closed_.push_back(std::move(fn));
      return;
    }
  }
  PostAll({std::move(fn)});
}

size_t StreamingBody::TakePieces(size_t max_bytes, std::vector<std::string>& out) {
  std::lock_guard lock(mu_);
  size_t taken = 0;
  // Read() and TakePieces() are not mixed on one sink, so front_offset_ is 0 here.
  while (!queue_.empty() && (taken == 0 || taken + queue_.front().size() <= max_bytes)) {
    taken += queue_.front().size();
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return taken;
}

void StreamingBody::Sent(size_t bytes) {
  Callbacks ready;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    buffered_ -= std::min(bytes, buffered_);
    CollectDrainedLocked(ready);
  }
  PostAll(std::move(ready));
}

StreamingBody::ReadResult StreamingBody::Read(uint8_t* buf, size_t max) {
  ReadResult result;
  Callbacks ready;
  {
    std::lock_guard lock(mu_);
    while (!queue_.empty() && result.bytes < max) {
      const std::string& front = queue_.front();
      const size_t n = std::min(max - result.bytes, front.size() - front_offset_);
      std::memcpy(buf + result.bytes, front.data() + front_offset_, n);
      result.bytes += n;
      front_offset_ += n;
      if (front_offset_ == front.size()) {
        queue_.pop_front();
        front_offset_ = 0;
      }
    }
    buffered_ -= result.bytes;
    result.end = finished_ && queue_.empty();
    if (result.bytes > 0) CollectDrainedLocked(ready);
  }
  PostAll(std::move(ready));
  return result;
}

bool StreamingBody::FinishedAndEmpty() const {
  std::lock_guard lock(mu_);
  return finished_ && queue_.empty();
}

void StreamingBody::Close() {
  Callbacks ready;
  std::deque<std::string> dropped;    // freed outside mu_
  std::function<void()> on_ready;     // likewise: it may own the connection
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    on_ready.swap(on_ready_);
    dropped.swap(queue_);
    front_offset_ = 0;
    buffered_ = 0;
    ready = std::move(on_closed_);
    on_closed_.clear();
    if (on_drained_) ready.push_back(std::exchange(on_drained_, nullptr));
  }
  PostAll(std::move(ready));
}

void StreamingBody::PostWake() {
  PostAll({[self = shared_from_this()] {
    std::function<void()> on_ready;
    {
      std::lock_guard lock(self->mu_);
      self->wake_pending_ = false;  // from here on, a new Write() posts a new wake-up
      on_ready = self->on_ready_;
    }
    if (on_ready) on_ready();
  }});
}

void StreamingBody::CollectDrainedLocked(Callbacks& out) {
  if (on_drained_ && (closed_ || buffered_ <= low_water_))
    out.push_back(std::exchange(on_drained_, nullptr));
}

void StreamingBody::PostAll(Callbacks callbacks) {
  if (callbacks.empty()) return;
  const std::shared_ptr<boost::asio::io_context> io_context = io_context_.lock();
  if (io_context == nullptr) return;  // the server is gone: dropped (see http_types.h)
  for (auto& fn : callbacks) boost::asio::post(*io_context, std::move(fn));
}

}  // namespace shoal::api::transport
