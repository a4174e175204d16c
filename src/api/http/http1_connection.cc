#include "api/http/http1_connection.h"

#include <limits>
#include <optional>
#include <string_view>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include "api/http/connection_registry.h"
#include "api/http/header_util.h"
#include "api/http/responder.h"
#include "api/http/stream_ops.h"

namespace shoal::api::transport {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

// Request line plus headers. SigV4 requests are ~2 KiB; leave plenty of room.
constexpr uint32_t kHeaderLimit = 64 * 1024;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// After a final response with "Connection: close" the write side is shut down and whatever
// the client still sends (e.g. the rest of a body we refused) is read and discarded until
// it closes, so unread bytes do not make the kernel answer with a RST that could destroy
// the response before the client reads it ("lingering close"). Bounded by time and bytes.
constexpr auto kLingerTimeout = std::chrono::seconds(5);
constexpr uint64_t kMaxLingerBytes = 64ull << 20;
constexpr size_t kLingerReadSize = 64 * 1024;

std::string_view ToStd(beast::string_view s) { return {s.data(), s.size()}; }

bool IsHttpParseError(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

// One HTTP/1.1 connection. All members are touched only on the stream's executor (one
// thread, see HttpServer::Impl), so there is no locking.
//
// State machine; one request is in flight at a time, so pipelined requests (already in
// buffer_) are answered in order:
//
//   kReadHeader --header--> [100 Continue] --> kReadBody --body--> kHandling
//   kReadHeader --Content-Length > limit--> kHandling (body_too_large, keep_alive_ = false)
//   kHandling --response--> kWriting --keep-alive--> kReadHeader
//   kWriting --close--> kLingering --peer EOF / timeout / byte limit--> kClosed
//   kReadHeader/kReadBody --malformed--> kWriting (400/431, close)
//   any --I/O error / idle timeout / Shutdown()--> kClosed
template <class Stream>
class Http1Connection final : public Connection,
                              public std::enable_shared_from_this<Http1Connection<Stream>> {
 public:
  Http1Connection(Stream stream, std::string preread, ConnectionContext ctx)
      : stream_(std::move(stream)), timer_(stream_.get_executor()), ctx_(std::move(ctx)) {
    auto space = buffer_.prepare(preread.size());
    asio::buffer_copy(space, asio::buffer(preread));
    buffer_.commit(preread.size());
  }

  asio::any_io_executor executor() { return timer_.get_executor(); }

  // REQUIRES: on executor().
  void Run() {
    if (!ctx_.registry->Add(this->weak_from_this())) return CloseNow();
    ReadHeader();
  }

  void Shutdown() override {
    asio::post(executor(), [self = this->shared_from_this()] { self->CloseNow(); });
  }

 private:
  enum class State { kReadHeader, kReadBody, kHandling, kWriting, kLingering, kClosed };

  void ReadHeader();
  void OnHeader(error_code ec);
  void SendContinue();
  void ReadBody();
  void OnReadError(error_code ec);
  void Dispatch(bool body_too_large);
  HttpRequest TakeRequest(bool body_too_large);
  void OnResponse(uint64_t request_id, HttpResponse response);
  void Reject(unsigned status);
  void Write();
  void OnWritten(error_code ec);
  void Linger();
  void LingerRead();
  void CloseNow();
  void ArmTimer(std::chrono::seconds timeout);
  void CancelTimer();

  Stream stream_;
  asio::steady_timer timer_;
  uint64_t timer_generation_ = 0;  // a stale expiry (already queued) must not close us
  ConnectionContext ctx_;
  beast::flat_buffer buffer_;  // unparsed input, including pipelined requests
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> response_;
  State state_ = State::kReadHeader;
  unsigned version_ = 11;   // of the current request; the response uses it
  bool keep_alive_ = true;  // of the current exchange
  uint64_t request_id_ = 0;  // of the request in kHandling; stale answers are dropped
  uint64_t linger_bytes_ = 0;
};

template <class Stream>
void Http1Connection<Stream>::ReadHeader() {
  state_ = State::kReadHeader;
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  // The Content-Length limit is checked by hand in OnHeader() so the handler still sees
  // the header; the real limit (for chunked bodies) is set before reading the body.
  parser_->body_limit(std::numeric_limits<uint64_t>::max());
  ArmTimer(ctx_.idle_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           [self = this->shared_from_this()](error_code ec, size_t) {
                             self->OnHeader(ec);
                           });
}

template <class Stream>
void Http1Connection<Stream>::OnHeader(error_code ec) {
  if (state_ != State::kReadHeader) return;
  if (ec) return OnReadError(ec);
  const auto& request = parser_->get();
  version_ = request.version();
  keep_alive_ = request.keep_alive();
  const auto content_length = parser_->content_length();
  if (content_length && *content_length > ctx_.max_body_bytes) return Dispatch(true);
  if (parser_->is_done()) return Dispatch(false);
  parser_->body_limit(ctx_.max_body_bytes);
  if (version_ >= 11 && beast::iequals(request[bhttp::field::expect], "100-continue"))
    return SendContinue();
  ReadBody();
}

template <class Stream>
void Http1Connection<Stream>::SendContinue() {
  state_ = State::kReadBody;
  asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                    [self = this->shared_from_this()](error_code ec, size_t) {
                      if (self->state_ != State::kReadBody) return;
                      if (ec) return self->CloseNow();
                      self->ReadBody();
                    });
}

template <class Stream>
void Http1Connection<Stream>::ReadBody() {
  state_ = State::kReadBody;
  ArmTimer(ctx_.idle_timeout);
  bhttp::async_read(stream_, buffer_, *parser_,
                    [self = this->shared_from_this()](error_code ec, size_t) {
                      if (self->state_ != State::kReadBody) return;
                      if (ec) return self->OnReadError(ec);
                      self->Dispatch(false);
                    });
}

template <class Stream>
void Http1Connection<Stream>::OnReadError(error_code ec) {
  if (ec == bhttp::error::body_limit) return Dispatch(true);  // chunked body over the limit
  if (ec == bhttp::error::header_limit) return Reject(431);
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
      !IsHttpParseError(ec)) {
    // Peer closed (cleanly between requests or mid-message), I/O error, or our own close.
    return CloseNow();
  }
  spdlog::debug("http/1.1: malformed request: {}", ec.message());
  Reject(400);
}

template <class Stream>
HttpRequest Http1Connection<Stream>::TakeRequest(bool body_too_large) {
  auto& message = parser_->get();
  HttpRequest request;
  request.version = HttpRequest::Version::kHttp11;
  request.method = std::string(ToStd(message.method_string()));
  request.target = std::string(ToStd(message.target()));
  for (const auto& field : message) {
    request.headers.emplace_back(AsciiLower(ToStd(field.name_string())),
                                 std::string(ToStd(field.value())));
  }
  request.body_too_large = body_too_large;
  if (!body_too_large) request.body = std::move(message.body());
  return request;
}

template <class Stream>
void Http1Connection<Stream>::Dispatch(bool body_too_large) {
  state_ = State::kHandling;
  CancelTimer();  // the handler may take as long as it needs
  // The unread body stays in the socket; the connection is closed after the answer.
  if (body_too_large) keep_alive_ = false;
  HttpRequest request = TakeRequest(body_too_large);
  parser_.reset();
  const uint64_t id = ++request_id_;
  auto deliver = [self = this->shared_from_this(), id](HttpResponse response) {
    self->OnResponse(id, std::move(response));
  };
  ctx_.handler->Handle(std::move(request),
                       MakeResponder(ctx_.io_context.lock(), std::move(deliver)));
}

template <class Stream>
void Http1Connection<Stream>::OnResponse(uint64_t request_id, HttpResponse response) {
  if (state_ != State::kHandling || request_id != request_id_) return;  // closed meanwhile
  const int status = (response.status >= 100 && response.status <= 999) ? response.status : 500;
  keep_alive_ = keep_alive_ && !response.close_connection;
  response_ = {};
  response_.version(version_);
  response_.result(static_cast<unsigned>(status));
  for (auto& [name, value] : response.headers) {
    if (IsTransportOwnedHeader(name)) continue;
    response_.insert(name, value);  // names are emitted as given (e.g. x-amzn-RequestId)
  }
  if (StatusAllowsBody(status)) response_.body() = std::move(response.body);
  if (status >= 200 && status != 204) response_.content_length(response_.body().size());
  response_.keep_alive(keep_alive_);
  Write();
}

template <class Stream>
void Http1Connection<Stream>::Reject(unsigned status) {
  keep_alive_ = false;
  parser_.reset();
  response_ = {};
  response_.version(11);
  response_.result(status);
  response_.content_length(0);
  response_.keep_alive(false);
  Write();
}

template <class Stream>
void Http1Connection<Stream>::Write() {
  state_ = State::kWriting;
  ArmTimer(ctx_.idle_timeout);  // a client that stops reading must not pin us forever
  bhttp::async_write(stream_, response_,
                     [self = this->shared_from_this()](error_code ec, size_t) {
                       self->OnWritten(ec);
                     });
}

template <class Stream>
void Http1Connection<Stream>::OnWritten(error_code ec) {
  if (state_ != State::kWriting) return;
  response_ = {};  // release the body
  if (ec) return CloseNow();
  if (!keep_alive_) return Linger();
  ReadHeader();
}

template <class Stream>
void Http1Connection<Stream>::Linger() {
  state_ = State::kLingering;
  ShutdownSend(stream_);
  buffer_.consume(buffer_.size());
  linger_bytes_ = 0;
  ArmTimer(kLingerTimeout);
  LingerRead();
}

template <class Stream>
void Http1Connection<Stream>::LingerRead() {
  stream_.async_read_some(buffer_.prepare(kLingerReadSize),
                          [self = this->shared_from_this()](error_code ec, size_t n) {
                            if (self->state_ != State::kLingering) return;
                            self->linger_bytes_ += n;
                            if (ec || self->linger_bytes_ > kMaxLingerBytes)
                              return self->CloseNow();
                            self->LingerRead();
                          });
}

template <class Stream>
void Http1Connection<Stream>::CloseNow() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  CancelTimer();
  CloseStream(stream_);
  // The parser stays: an async_read still in flight writes into it until its handler runs;
  // it goes with the connection, which the pending handlers keep alive.
}

template <class Stream>
void Http1Connection<Stream>::ArmTimer(std::chrono::seconds timeout) {
  const uint64_t generation = ++timer_generation_;
  if (timeout.count() <= 0) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(timeout);
  timer_.async_wait([self = this->shared_from_this(), generation](error_code ec) {
    if (ec || generation != self->timer_generation_) return;
    spdlog::debug("http/1.1: closing connection after timeout");
    self->CloseNow();
  });
}

template <class Stream>
void Http1Connection<Stream>::CancelTimer() {
  ++timer_generation_;
  timer_.cancel();
}

}  // namespace

template <class Stream>
void StartHttp1Connection(Stream stream, std::string preread, ConnectionContext ctx) {
  auto connection = std::make_shared<Http1Connection<Stream>>(
      std::move(stream), std::move(preread), std::move(ctx));
  asio::post(connection->executor(), [connection] { connection->Run(); });
}

template void StartHttp1Connection<TcpSocket>(TcpSocket, std::string, ConnectionContext);

}  // namespace shoal::api::transport
