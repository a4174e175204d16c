#pragma once
// What the transport hands to the protocol layer and gets back. Knows nothing of Kinesis.

#include <cstdint>
#include <functional>
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

struct HttpResponse {
  int status = 200;
  HeaderList headers;  // lowercase names; no connection-specific headers
  std::string body;
  // Ask the transport to close the connection after this response (HTTP/1.1: adds
  // "Connection: close"; HTTP/2: GOAWAY after the stream completes).
  bool close_connection = false;
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
