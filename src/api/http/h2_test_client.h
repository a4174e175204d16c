#pragma once
// Test only: a small blocking HTTP/2 client (nghttp2; cleartext with prior knowledge, or TLS
// with or without ALPN) that drives one connection from the calling thread. Not thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "api/http/http_types.h"

struct nghttp2_session;
struct ssl_st;
struct ssl_ctx_st;

namespace shoal::api::testing {

class H2TestClient {
 public:
  struct Response {
    int status = 0;
    HeaderList headers;  // as received (lowercase)
    std::string body;
    bool closed = false;
    uint32_t close_error = 0;  // 0 = NO_ERROR
  };

  H2TestClient();
  ~H2TestClient();
  H2TestClient(const H2TestClient&) = delete;
  H2TestClient& operator=(const H2TestClient&) = delete;

  // Connects to 127.0.0.1:port and queues the preface and SETTINGS advertising
  // `stream_window` as our initial stream window (65535 = protocol default; a larger value
  // raises the connection window to match).
  bool Connect(uint16_t port, int32_t stream_window = 65535);
  // Like Connect(), over TLS: trusts only `ca_pem`, checks the name "localhost", and offers
  // ALPN "h2" if `offer_alpn` (else no ALPN at all). False if the handshake fails.
  bool ConnectTls(uint16_t port, const std::string& ca_pem, bool offer_alpn,
                  int32_t stream_window = 65535);
  // The protocol the server chose by ALPN ("" if none).
  std::string alpn() const;
  // Queues a request; `content_length` adds that header. Returns the stream id (or < 0).
  int32_t Submit(const std::string& method, const std::string& path, std::string body,
                 bool content_length = true, const HeaderList& extra = {});
  // Queues RST_STREAM(CANCEL) / PING.
  void Cancel(int32_t stream_id);
  void Ping();

  // Pump I/O until every submitted stream is closed / the server closes the connection /
  // a PING ACK arrived. False on timeout or a client-side protocol or I/O failure.
  bool RunUntilDone(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  bool RunUntilEof(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool RunUntilPingAck(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Pumps I/O until `done()` holds (checked between poll rounds of at most 100 ms).
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Like Node's session.close(): GOAWAY, half-close, wait for the server's EOF, close.
  bool CloseGracefully(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  const Response& response(int32_t stream_id) { return responses_[stream_id]; }
  bool goaway_received() const { return goaway_received_; }
  bool eof() const { return eof_; }
  bool reset_by_peer() const { return reset_by_peer_; }

 private:
  struct Body;
  template <class Done>
  bool Pump(Done done, std::chrono::milliseconds timeout);
  bool Step(int timeout_ms);
  void Fill();
  bool TcpConnect(uint16_t port);
  bool SubmitSettings(int32_t stream_window);
  // Plain or TLS I/O on fd_: bytes moved, 0 on EOF, -1 with errno (EAGAIN: try later).
  ssize_t SendSome(const char* data, size_t size);
  ssize_t RecvSome(char* data, size_t size);

  int fd_ = -1;
  ssl_ctx_st* ssl_ctx_ = nullptr;  // owned; TLS only
  ssl_st* ssl_ = nullptr;          // owned; TLS only
  nghttp2_session* session_ = nullptr;
  std::string out_;
  size_t out_offset_ = 0;
  std::map<int32_t, Response> responses_;
  std::map<int32_t, std::unique_ptr<Body>> bodies_;
  int open_streams_ = 0;
  bool goaway_received_ = false;
  bool ping_acked_ = false;
  bool eof_ = false;
  bool reset_by_peer_ = false;
  bool failed_ = false;

  friend struct H2TestClientCallbacks;
};

}  // namespace shoal::api::testing
