#pragma once
// One listener that speaks HTTP/1.1 (keep-alive, Expect: 100-continue) and HTTP/2 cleartext
// with prior knowledge (detected by the client preface) on the same port, and, given a
// certificate, both over TLS too (detected by the TLS handshake record; ALPN h2/http/1.1),
// optionally with a second, TLS-only listener.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "api/http/http_types.h"
#include "common/status.h"

namespace shoal::api {

enum class HttpErrc { kBindFailed, kInvalidAddress, kTlsSetup };

struct HttpServerOptions {
  // An IPv4/IPv6 literal ("0.0.0.0" and "::" listen on all interfaces) or "localhost".
  // Host names are not resolved (kInvalidAddress).
  std::string host = "127.0.0.1";
  uint16_t port = 4567;  // 0 picks a free port; see HttpServer::port()
  int io_threads = 2;
  // Larger bodies are not read: the handler gets body_too_large = true and answers; the
  // connection is then closed (HTTP/1.1) or the stream reset after the answer (HTTP/2).
  uint64_t max_body_bytes = 16 * 1024 * 1024;
  // Idle keep-alive connections are closed after this long (HTTP/2: GOAWAY first).
  // <= 0 disables the timeout.
  int idle_timeout_seconds = 300;
  // TLS: the PEM certificate (optionally followed by its chain) and private key. Both empty:
  // cleartext only. Otherwise the main port accepts TLS as well as cleartext.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  // A second listener (same host) that accepts only TLS; 0 picks a free port (see
  // HttpServer::tls_port()). REQUIRES: a certificate when set.
  std::optional<uint16_t> tls_port;
};

// Thread-safety: Start(), Stop() and the destructor are called by the owner, one at a time.
// handler.Handle() runs on the I/O threads, concurrently for different connections.
class HttpServer {
 public:
  // `handler` must outlive the server.
  HttpServer(HttpServerOptions options, RequestHandler& handler);
  ~HttpServer();  // Stops if running.
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the I/O threads. Returns once accepting.
  // REQUIRES: not already started (a failed Start() may be retried).
  Status<HttpErrc> Start();
  // Stops accepting, closes connections (HTTP/2: GOAWAY first; answers still owed are
  // dropped) and joins the I/O threads. Waits for peers to close after our goodbye for at
  // most ~2 s, and never more than ~5 s in total. Idempotent; no-op if never started.
  void Stop();
  // The bound port (useful with port 0). REQUIRES: Start() succeeded.
  uint16_t port() const;
  // The bound TLS-only port, 0 if there is none. REQUIRES: Start() succeeded.
  uint16_t tls_port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::api
