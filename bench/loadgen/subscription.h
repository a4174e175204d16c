#pragma once
// SubscribeToShard over HTTP/1.1, read as a stream: one Subscription owns one TCP connection,
// sends the request, and feeds the response body (chunked or Content-Length) through an
// EventStreamDecoder, handing every message to a callback together with the time its last
// byte arrived. An error answer (non-200) is read whole and reported through `error_type()`.
// Everything happens on the io_context's thread; the callbacks run from its handlers.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "connection.h"
#include "eventstream.h"
#include "sigv4.h"

namespace shoal::loadgen {

// Decodes a chunked transfer-coding incrementally (chunk extensions and trailers are skipped).
class ChunkedDecoder {
 public:
  enum class Status { kMore, kDone, kError };
  // Consumes all of `in`, appending chunk data to `out`. kDone once the last chunk and the
  // trailers are in (bytes after that are ignored); kError on malformed input.
  Status Feed(std::string_view in, std::string& out);

 private:
  enum class State { kSize, kData, kDataEnd, kTrailer, kDone, kError };
  State state_ = State::kSize;
  std::string line_;
  size_t left_ = 0;
};

class Subscription {
 public:
  enum class State { kIdle, kConnecting, kWaitingHead, kStreaming, kEnded, kFailed };
  using OnMessage = std::function<void(const EventMessage&, SteadyClock::time_point arrival)>;
  // Called once when the subscription ends for any reason (state() is kEnded or kFailed).
  using OnEnd = std::function<void()>;

  Subscription(boost::asio::io_context& io, const Endpoint& endpoint, const Credentials& creds,
               bool sign);
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // Sends SubscribeToShard with `body` (its JSON input) on a new connection.
  void Start(std::string body, OnMessage on_message, OnEnd on_end);
  // Drops the connection (no callback); an active subscription becomes kEnded.
  void Close();

  State state() const { return state_; }
  int status() const { return status_; }
  // Why it failed: a transport error name, the AWS error code of a non-200 answer, or a
  // decoding error ("" while fine).
  const std::string& error_type() const { return error_; }

 private:
  void OnConnected();
  void Read();
  void OnBytes(std::string_view in);
  bool ParseHead();
  void DeliverBody(std::string_view data);
  void Finish(State s, std::string error);

  boost::asio::io_context& io_;
  const Endpoint& endpoint_;
  Signer signer_;
  boost::asio::ip::tcp::socket sock_;
  State state_ = State::kIdle;
  uint64_t gen_ = 0;
  std::string request_;
  std::string head_;           // response head being collected
  std::string body_;           // non-200 body, or decoded chunk data waiting for the decoder
  bool chunked_ = false;
  size_t content_left_ = 0;
  int status_ = 0;
  std::string error_;
  std::string error_header_;
  ChunkedDecoder chunks_;
  EventStreamDecoder events_;
  std::unique_ptr<char[]> rbuf_;
  // Handlers hold a weak_ptr to this: asio may run them (cancelled) after we are destroyed.
  std::shared_ptr<char> alive_ = std::make_shared<char>();
  OnMessage on_message_;
  OnEnd on_end_;
};

}  // namespace shoal::loadgen
