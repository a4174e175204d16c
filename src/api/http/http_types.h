#pragma once
// What the transport hands to the protocol layer and gets back. Knows nothing of Kinesis.

#include <cstdint>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shoal::api {

// Header names are lowercase. HTTP/2 pseudo-headers (":authority", ":path", ...) are kept
// under their own names so the SigV4 check can see them.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  enum class Version : uint8_t { kHttp11, kHttp2 };
  Version version = Version::kHttp11;
  std::string method;
  std::string target;  // raw path (and query, if any)
  HeaderList headers;
  std::string body;
  // The body was larger than the server's limit and was not read; `body` is empty.
  bool body_too_large = false;

  // First value of a header by lowercase name, or empty.
  std::string_view Header(std::string_view lower_name) const {
    for (const auto& h : headers)
      if (h.first == lower_name) return h.second;
    return {};
  }
  bool HasHeader(std::string_view lower_name) const {
    for (const auto& h : headers)
      if (h.first == lower_name) return true;
    return false;
  }
};

// The sending side of a response body produced over time (event streams). Thread-safe; every
// method may be called from any thread. The transport owns the real connection; the producer
// holds a shared_ptr<BodySink>.
//
// Callbacks never run inline inside a BodySink call: they are posted to the connection's I/O
// thread, so a producer may call them while holding its own locks. Every registered callback
// runs exactly once, because the transport always ends a sink in the closed state: when the
// peer goes away, when the server stops, and also right after the end of a Finish()ed body
// has been handed to the socket (HTTP/1.1) or the stream closed (HTTP/2). A callback
// registered after the server has been stopped and destroyed is destroyed without running.
class BodySink {
 public:
  virtual ~BodySink() = default;
  // Queues `bytes` as the next part of the body (HTTP/1.1: one chunk of the chunked encoding;
  // HTTP/2: DATA frames, split to the peer's max frame size, honouring flow control).
  // Returns false (and drops the bytes) once the peer is gone or Finish() was called.
  // Empty `bytes` are accepted and send nothing.
  virtual bool Write(std::string bytes) = 0;
  // Ends the body (HTTP/1.1: the last 0-length chunk, connection stays usable for keep-alive;
  // HTTP/2: END_STREAM). Idempotent.
  virtual void Finish() = 0;
  // Bytes queued and not yet handed to the socket (for HTTP/2: not yet taken by nghttp2 because
  // of flow control or socket backpressure). 0 once Closed().
  virtual size_t Buffered() const = 0;
  // Runs `fn` once, on a transport thread, as soon as Buffered() <= low_water or the peer is
  // gone (immediately-posted if that already holds). Replaces an earlier pending callback
  // (which is destroyed without running).
  virtual void NotifyWhenDrained(size_t low_water, std::function<void()> fn) = 0;
  // True once the peer went away (connection closed, h2 RST_STREAM, server stopping), and
  // once the transport is done with a finished body (see above).
  virtual bool Closed() const = 0;
  // Runs `fn` once, on a transport thread, when the peer goes away (immediately-posted if it
  // already has). Several callbacks may be pending; each runs once.
  virtual void NotifyWhenClosed(std::function<void()> fn) = 0;
};

struct HttpResponse {
  int status = 200;
  HeaderList headers;  // lowercase names; no connection-specific headers
  std::string body;
  // Ask the transport to close the connection after this response (HTTP/1.1: adds
  // "Connection: close"; HTTP/2: GOAWAY after the stream completes).
  bool close_connection = false;
  // When set, `body` is ignored: the transport sends the status and headers (HTTP/1.1 with
  // Transfer-Encoding: chunked and no Content-Length; HTTP/2 with no content-length), then calls
  // `stream_body` once with the sink, on a transport thread. The producer then writes at its
  // own pace and must eventually call Finish() (or see Closed()).
  // An HTTP/1.0 request gets the body unframed, ended by closing the connection. If the
  // connection closed before the response could be sent, `stream_body` gets an already-closed
  // sink. Statuses that carry no body (1xx, 204, 304) get a closed sink and no body.
  std::function<void(std::shared_ptr<BodySink>)> stream_body;
};

// Called exactly once per request, from any thread. Safe to call after the connection died
// (the response is then dropped).
using Responder = std::function<void(HttpResponse)>;

// The protocol layer. Handle() may answer inline or later from another thread; it must not
// block the calling I/O thread on disk or locks held for long.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual void Handle(HttpRequest request, Responder respond) = 0;
};

}  // namespace shoal::api
