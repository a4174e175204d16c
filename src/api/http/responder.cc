#include "api/http/responder.h"

#include <atomic>
#include <cassert>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace shoal::api::transport {
namespace {

// Shared by all copies of one Responder (std::function must be copyable).
class ResponderState {
 public:
  ResponderState(std::shared_ptr<boost::asio::io_context> io_context,
                 std::function<void(HttpResponse)> deliver)
      : io_context_(std::move(io_context)), deliver_(std::move(deliver)) {
    assert(io_context_ != nullptr);
  }

  ~ResponderState() {
    if (used_.exchange(true)) return;
    spdlog::warn("http: request handler dropped its Responder without answering; sending 500");
    HttpResponse response;
    response.status = 500;
    Post(std::move(deliver_), std::move(response));
  }

  void Respond(HttpResponse response) {
    if (used_.exchange(true)) {
      spdlog::warn("http: Responder called more than once; response dropped");
      return;
    }
    // Only the caller that won the exchange above touches deliver_.
    Post(std::exchange(deliver_, nullptr), std::move(response));
  }

 private:
  void Post(std::function<void(HttpResponse)> deliver, HttpResponse response) {
    boost::asio::post(*io_context_, [deliver = std::move(deliver),
                                     response = std::move(response)]() mutable {
      deliver(std::move(response));
    });
  }

  // Declared first so it is destroyed last: deliver_ may own the connection, whose socket
  // must go before its io_context.
  std::shared_ptr<boost::asio::io_context> io_context_;
  std::function<void(HttpResponse)> deliver_;
  std::atomic<bool> used_{false};
};

}  // namespace

Responder MakeResponder(std::shared_ptr<boost::asio::io_context> io_context,
                        std::function<void(HttpResponse)> deliver) {
  auto state = std::make_shared<ResponderState>(std::move(io_context), std::move(deliver));
  return [state = std::move(state)](HttpResponse response) {
    state->Respond(std::move(response));
  };
}

}  // namespace shoal::api::transport
