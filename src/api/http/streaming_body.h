#pragma once
// The transport's BodySink (see http_types.h): a queue between one producer (any thread) and
// one connection (its I/O thread) for a response body sent over time.
//
// Accounting: Buffered() counts bytes from Write() until the connection reports them handed
// on (HTTP/1.1: Sent() after the socket write completed; HTTP/2: Read(), when nghttp2 copies
// them into a frame). Memory is therefore bounded by what the producer queues: the
// connection takes at most one write batch (HTTP/1.1) or one frame (HTTP/2) at a time.
//
// Wake-ups: Write() and Finish() post `on_ready` to the connection's io_context when the
// queue changed and no wake-up is pending; the connection then pulls with TakePieces() or
// Read(). At most one wake-up is queued at a time, however fast the producer writes.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/http/http_types.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace shoal::api::transport {

class StreamingBody final : public BodySink,
                            public std::enable_shared_from_this<StreamingBody> {
 public:
  // `on_ready` runs on `io_context` after Write()/Finish() (see above). It may own the
  // connection (keeping it alive while the producer holds the sink): Close() destroys it,
  // which breaks the cycle connection -> sink -> on_ready -> connection. Callbacks are posted
  // to `io_context` while it exists and dropped after that.
  StreamingBody(std::weak_ptr<boost::asio::io_context> io_context,
                std::function<void()> on_ready);
  // A sink that is closed from the start, for a response whose connection is gone.
  static std::shared_ptr<StreamingBody> MakeClosed(
      std::weak_ptr<boost::asio::io_context> io_context);

  // BodySink (producer side, any thread).
  bool Write(std::string bytes) override;
  void Finish() override;
  size_t Buffered() const override;
  void NotifyWhenDrained(size_t low_water, std::function<void()> fn) override;
  bool Closed() const override;
  void NotifyWhenClosed(std::function<void()> fn) override;

  // ---- Connection side (on the connection's I/O thread) ----

  // Moves queued pieces, whole and in order, into `out`: at least one if any is queued, then
  // more while the total stays <= max_bytes. They stay counted in Buffered() until Sent().
  // Returns the number of bytes moved.
  size_t TakePieces(size_t max_bytes, std::vector<std::string>& out);
  // `bytes` of taken pieces were handed to the socket.
  void Sent(size_t bytes);
  // Copies up to `max` queued bytes into `buf` (pieces may be split); they count as handed
  // on at once. `end` is true when the producer called Finish() and nothing is left.
  struct ReadResult {
    size_t bytes = 0;
    bool end = false;
  };
  ReadResult Read(uint8_t* buf, size_t max);
  // True when Finish() was called and TakePieces()/Read() have taken everything.
  bool FinishedAndEmpty() const;
  // The peer is gone or the body is complete: Closed() turns true, queued bytes are dropped,
  // pending callbacks are posted, later Write()s fail. Idempotent.
  void Close();

 private:
  using Callbacks = std::vector<std::function<void()>>;

  // Posts on_ready_ (the caller set wake_pending_).
  void PostWake();
  // REQUIRES: mu_ held. Moves the drained callback into `out` if its condition holds.
  void CollectDrainedLocked(Callbacks& out);
  // Posts each callback to the io_context (outside mu_: dropping one may run destructors
  // that call back into this sink).
  void PostAll(Callbacks callbacks);

  const std::weak_ptr<boost::asio::io_context> io_context_;

  mutable std::mutex mu_;
  std::function<void()> on_ready_;  // guarded by mu_; emptied by Close()
  std::deque<std::string> queue_;  // guarded by mu_
  size_t front_offset_ = 0;        // guarded by mu_; bytes of queue_.front() already Read()
  size_t buffered_ = 0;            // guarded by mu_
  bool finished_ = false;          // guarded by mu_
  bool closed_ = false;            // guarded by mu_
  bool wake_pending_ = false;      // guarded by mu_
  size_t low_water_ = 0;           // guarded by mu_
  std::function<void()> on_drained_;  // guarded by mu_
  Callbacks on_closed_;               // guarded by mu_
};

}  // namespace shoal::api::transport
