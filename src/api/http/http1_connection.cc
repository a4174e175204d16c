#include "api/http/http1_connection.h"

#include <limits>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/http/connection_registry.h"
#include "api/http/header_util.h"
#include "api/http/responder.h"
#include "api/http/stream_ops.h"
#include "api/http/streaming_body.h"

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
// Streaming responses: payload bytes taken from the sink per socket write, and how much of
// the next (pipelined) request we read ahead while streaming; reading is what notices a
// peer that went away while the producer is quiet.
constexpr size_t kMaxStreamBatch = 256 * 1024;
constexpr size_t kStreamReadSize = 4096;
constexpr std::string_view kLastChunk = "0\r\n\r\n";

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
//   kHandling --streaming response--> kStreaming --last chunk written--> (as kWriting)
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
  enum class State {
    kReadHeader,
    kReadBody,
    kHandling,
    kWriting,
    kStreaming,
    kLingering,
    kClosed
  };

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
  void StartStreaming(int status, HttpResponse response);
  void StreamStep();
  void StreamWrite(size_t payload_bytes);
  void OnStreamWritten(error_code ec);
  void StreamRead();
  void OnStreamRead(error_code ec, size_t n);
  void Linger();
  void LingerRead();
  void OnLingerRead(error_code ec, size_t n);
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
  // kStreaming. Pieces are written one chunk each (HTTP/1.0: unframed, ended by close).
  //   stream_out_ holds the bytes of the write in flight (the header goes out with the first);
  //   the read in flight (stream_reading_) reads ahead into buffer_ and notices peer EOF.
  std::shared_ptr<StreamingBody> sink_;
  std::string stream_out_;
  size_t stream_payload_in_flight_ = 0;  // sink bytes in stream_out_
  bool chunked_ = true;
  bool stream_writing_ = false;
  bool stream_reading_ = false;
  bool stream_end_queued_ = false;   // the end of the body is in stream_out_
  bool stream_end_written_ = false;  // ... and was handed to the socket
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
  if (state_ != State::kHandling || request_id != request_id_) {  // closed meanwhile
    if (response.stream_body) response.stream_body(StreamingBody::MakeClosed(ctx_.io_context));
    return;
  }
  const int status = (response.status >= 100 && response.status <= 999) ? response.status : 500;
  keep_alive_ = keep_alive_ && !response.close_connection;
  if (response.stream_body) {
    if (StatusAllowsBody(status)) return StartStreaming(status, std::move(response));
    std::exchange(response.stream_body, nullptr)(StreamingBody::MakeClosed(ctx_.io_context));
    response.body.clear();
  }
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

// ---- streaming responses -----------------------------------------------------------------

template <class Stream>
void Http1Connection<Stream>::StartStreaming(int status, HttpResponse response) {
  chunked_ = version_ >= 11;
  if (!chunked_) keep_alive_ = false;  // HTTP/1.0: the body ends when we close
  bhttp::response<bhttp::empty_body> header;
  header.version(version_);
  header.result(static_cast<unsigned>(status));
  for (auto& [name, value] : response.headers) {
    if (IsTransportOwnedHeader(name)) continue;
    header.insert(name, value);
  }
  if (chunked_) header.chunked(true);
  header.keep_alive(keep_alive_);
  std::ostringstream os;
  os << header.base();
  stream_out_ = std::move(os).str();
  state_ = State::kStreaming;
  stream_payload_in_flight_ = 0;
  stream_writing_ = stream_end_queued_ = stream_end_written_ = false;
  // The sink keeps us alive while the producer holds it (we may have no I/O in flight while
  // it is quiet), until the sink is closed.
  sink_ = std::make_shared<StreamingBody>(ctx_.io_context,
                                          [self = this->shared_from_this()] { self->StreamStep(); });
  StreamWrite(0);  // the header, right away
  response.stream_body(sink_);
}

// Runs after every event of kStreaming (sink wake-up, write or read completion) and starts
// whatever is due: the next write, the next read-ahead, or the exit from kStreaming.
template <class Stream>
void Http1Connection<Stream>::StreamStep() {
  if (state_ != State::kStreaming) return;
  if (!stream_writing_ && !stream_end_queued_) {
    std::vector<std::string> pieces;
    const size_t payload = sink_->TakePieces(kMaxStreamBatch, pieces);
    for (const std::string& piece : pieces) {
      if (chunked_) fmt::format_to(std::back_inserter(stream_out_), "{:x}\r\n", piece.size());
      stream_out_ += piece;
      if (chunked_) stream_out_ += "\r\n";
    }
    if (sink_->FinishedAndEmpty()) {
      stream_end_queued_ = true;
      if (chunked_) stream_out_ += kLastChunk;
    }
    if (!stream_out_.empty()) StreamWrite(payload);
  }
  if (stream_end_written_) {
    sink_->Close();  // the transport is done with it
    if (!keep_alive_) return Linger();
    if (stream_reading_) return ArmTimer(ctx_.idle_timeout);  // its completion brings us back
    sink_.reset();
    return ReadHeader();
  }
  if (!stream_writing_) CancelTimer();  // waiting for the producer is not the peer's fault
  // Read ahead only while nothing of the next request is buffered: a read in flight when the
  // stream ends is waited for, and a pipelining client that sent its whole next request
  // would never complete it.
  if (!stream_reading_ && buffer_.size() == 0) StreamRead();
}

template <class Stream>
void Http1Connection<Stream>::StreamWrite(size_t payload_bytes) {
  stream_writing_ = true;
  stream_payload_in_flight_ = payload_bytes;
  ArmTimer(ctx_.idle_timeout);  // a client that stops reading must not pin us forever
  asio::async_write(stream_, asio::buffer(stream_out_),
                    [self = this->shared_from_this()](error_code ec, size_t) {
                      self->OnStreamWritten(ec);
                    });
}

template <class Stream>
void Http1Connection<Stream>::OnStreamWritten(error_code ec) {
  stream_writing_ = false;
  if (state_ != State::kStreaming) return;
  if (ec) return CloseNow();
  stream_out_.clear();
  sink_->Sent(std::exchange(stream_payload_in_flight_, 0));
  if (stream_end_queued_) stream_end_written_ = true;
  StreamStep();
}

template <class Stream>
void Http1Connection<Stream>::StreamRead() {
  stream_reading_ = true;
  stream_.async_read_some(buffer_.prepare(kStreamReadSize),
                          [self = this->shared_from_this()](error_code ec, size_t n) {
                            self->OnStreamRead(ec, n);
                          });
}

template <class Stream>
void Http1Connection<Stream>::OnStreamRead(error_code ec, size_t n) {
  stream_reading_ = false;
  if (state_ == State::kLingering) return OnLingerRead(ec, n);
  if (state_ != State::kStreaming) return;
  // EOF counts as the peer going away: HTTP clients do not half-close while they wait.
  if (ec) return CloseNow();
  buffer_.commit(n);  // the start of the next request, parsed once the stream ends
  StreamStep();
}

// ---- closing -----------------------------------------------------------------------------

template <class Stream>
void Http1Connection<Stream>::Linger() {
  state_ = State::kLingering;
  ShutdownSend(stream_);
  buffer_.consume(buffer_.size());
  linger_bytes_ = 0;
  ArmTimer(kLingerTimeout);
  if (!stream_reading_) LingerRead();  // else the streaming read in flight lingers for us
}

template <class Stream>
void Http1Connection<Stream>::LingerRead() {
  stream_.async_read_some(buffer_.prepare(kLingerReadSize),
                          [self = this->shared_from_this()](error_code ec, size_t n) {
                            self->OnLingerRead(ec, n);
                          });
}

template <class Stream>
void Http1Connection<Stream>::OnLingerRead(error_code ec, size_t n) {
  if (state_ != State::kLingering) return;
  linger_bytes_ += n;
  if (ec || linger_bytes_ > kMaxLingerBytes) return CloseNow();
  LingerRead();
}

template <class Stream>
void Http1Connection<Stream>::CloseNow() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  CancelTimer();
  CloseStream(stream_);
  if (sink_ != nullptr) sink_->Close();  // the peer is gone: Closed(), callbacks run
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
