#pragma once
// One client connection to a Kinesis endpoint, and the Call it carries.
//
// A Call is one request/response exchange. Its owner (a workload coroutine) fills the request
// part, `co_await conn.Send(call)`, and reads the response part. A Connection is driven by one
// thread's io_context; Submit() never completes a call synchronously: the waiter is resumed
// later from that io_context, never from inside Submit().
//
// Failures never hang a caller: connect errors, I/O errors, protocol errors, stream resets and
// timeouts (CheckTimeouts) complete the call with `error` set and `status` 0.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sigv4.h"

namespace shoal::loadgen {

using SteadyClock = std::chrono::steady_clock;

enum class Op : uint8_t {
  kPutRecord,
  kPutRecords,
  kGetShardIterator,
  kGetRecords,
  kCreateStream,
  kDeleteStream,
  kDescribeStreamSummary,
  kListShards,
  kListStreams,
  kDescribeLimits,
  kRegisterStreamConsumer,
  kDescribeStreamConsumer,
  kSubscribeToShard,  // booked by subscribe-latency (its own streaming connection)
};
inline constexpr size_t kOpCount = 13;
// "PutRecords" etc.
std::string_view OpName(Op op);
// "Kinesis_20131202.PutRecords" etc.
std::string_view OpTarget(Op op);

enum class TransportError : uint8_t {
  kNone,
  kConnect,   // connect refused / failed
  kIo,        // read or write failed, or the peer closed with calls outstanding
  kTimeout,   // no complete response within the request timeout
  kProtocol,  // a response we could not parse
  kReset,     // h2: stream reset or GOAWAY before the response ended
  kShutdown,  // the load generator closed the connection
};
std::string_view TransportErrorName(TransportError e);

// A growable byte buffer that always keeps simdjson's padding readable past its end, so a
// response body can be parsed in place. Never shrinks; moving keeps the allocation.
class Buffer {
 public:
  static constexpr size_t kPadding = 64;  // >= SIMDJSON_PADDING

  Buffer() = default;
  Buffer(Buffer&&) noexcept = default;
  Buffer& operator=(Buffer&&) noexcept = default;

  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  std::string_view view() const { return {data_.get(), size_}; }

  void clear() { size_ = 0; }
  void Reserve(size_t n);
  // Grows the size by n (bytes uninitialised) and returns a pointer to the new bytes.
  char* Extend(size_t n);
  void Append(const char* p, size_t n);
  void Resize(size_t n);

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

struct Call {
  // --- request, set by the caller; `body` must stay valid until the call completes ---
  Op op = Op::kListStreams;
  std::string_view body;
  // Hex SHA-256 of `body` when already known (only used with real signing).
  const std::string* body_sha256 = nullptr;

  // --- response, set by the connection ---
  int status = 0;  // HTTP status; 0 when `error` is set
  TransportError error = TransportError::kNone;
  std::string error_type;  // x-amzn-ErrorType as sent (may be empty; see ErrorType())
  Buffer response;         // the body, with simdjson padding
  SteadyClock::time_point start;
  SteadyClock::time_point end;

  // --- connection-private state ---
  std::coroutine_handle<> waiter;
  std::string head;           // HTTP/1.1 request head
  std::string amz_date;       // header values kept alive while queued (h2 does not copy them)
  std::string authorization;
  size_t send_offset = 0;     // h2: body bytes handed to nghttp2 (read callback)
  size_t sent_offset = 0;     // h2: body bytes queued for the socket (send callback)
  int write_refs = 0;         // h2: queued socket writes that point into `body`
  bool close_pending = false; // h2: stream closed, completion waits for write_refs == 0
  int32_t stream_id = 0;      // h2
  bool response_complete = false;

  bool ok() const { return error == TransportError::kNone && status == 200; }
  std::chrono::nanoseconds latency() const { return end - start; }
  void ResetResponse() {
    status = 0;
    error = TransportError::kNone;
    error_type.clear();
    response.clear();
    send_offset = 0;
    sent_offset = 0;
    write_refs = 0;
    close_pending = false;
    stream_id = 0;
    response_complete = false;
  }
};

struct Endpoint {
  std::string host;          // as given (for Host / :authority)
  uint16_t port = 0;
  std::string authority;     // host:port
  boost::asio::ip::tcp::endpoint address;  // resolved once
};

enum class Protocol : uint8_t { kHttp1, kH2 };

class Connection {
 public:
  virtual ~Connection() = default;

  // Queues `call` (its ResetResponse() has been done) and later resumes call->waiter on this
  // connection's thread. Connects first when not connected.
  virtual void Submit(Call* call) = 0;
  // Fails every outstanding call with kTimeout (and drops the connection) when the oldest one
  // has waited longer than `timeout`.
  virtual void CheckTimeouts(SteadyClock::time_point now, std::chrono::nanoseconds timeout) = 0;
  // Drops the connection; outstanding calls complete with kShutdown.
  virtual void Close() = 0;
  // Calls accepted and not yet completed.
  virtual size_t outstanding() const = 0;

  // co_await conn.Send(call): submit and suspend until the call completes.
  struct SendAwaiter {
    Connection& conn;
    Call& call;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
      call.waiter = h;
      conn.Submit(&call);
    }
    void await_resume() const noexcept {}
  };
  SendAwaiter Send(Call& call) {
    call.ResetResponse();
    call.start = SteadyClock::now();
    return SendAwaiter{*this, call};
  }
};

struct ConnectionOptions {
  Protocol protocol = Protocol::kHttp1;
  // h2: our stream and connection receive windows.
  int32_t h2_stream_window = 16 << 20;
  int32_t h2_connection_window = 256 << 20;
};

// `signer` and `endpoint` must outlive the connection; all of them belong to `io`'s thread.
std::unique_ptr<Connection> MakeConnection(boost::asio::io_context& io, const Endpoint& endpoint,
                                           Signer& signer, const ConnectionOptions& options);

// Resolves host:port once (blocking). Empty error string on success.
std::string ResolveEndpoint(const std::string& url, Endpoint& out);

}  // namespace shoal::loadgen
