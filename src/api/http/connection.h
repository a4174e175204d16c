#pragma once
// What every accepted connection (sniffer, HTTP/1.1, HTTP/2) shares: the Connection
// interface the server uses to shut connections down, and the per-connection context.
//
// Lifetimes (the same for all connection kinds):
//  - A connection is owned by std::shared_ptr. Pending asynchronous operations (reads,
//    writes, timers) hold a shared_ptr to it, so it lives while it has I/O in flight.
//  - Each Responder holds a shared_ptr too (see responder.h), so a connection waiting for a
//    handler's answer stays allocated (its socket may already be closed).
//  - ConnectionRegistry holds only weak_ptrs.
//  - A connection never points at the HttpServer; it holds what it needs in
//    ConnectionContext. The io_context is held weakly (see below) to avoid a cycle
//    io_context -> queued handler -> connection -> io_context.

#include <chrono>
#include <cstdint>
#include <memory>

#include "api/http/http_types.h"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}  // namespace ssl
}  // namespace boost::asio

namespace shoal::api::transport {

class ConnectionRegistry;

class Connection {
 public:
  virtual ~Connection() = default;
  // Closes the connection soon: HTTP/2 sends GOAWAY first, HTTP/1.1 closes at once.
  // Answers still owed are dropped. Thread-safe; returns immediately; idempotent.
  virtual void Shutdown() = 0;
};

struct ConnectionContext {
  RequestHandler* handler = nullptr;  // outlives the server, hence every connection's I/O
  uint64_t max_body_bytes = 0;
  std::chrono::seconds idle_timeout{0};  // <= 0 disables the idle timeout
  // The io_context the connection's stream is bound to. Weak: locking it succeeds whenever
  // connection code runs, because that code runs only on this io_context's thread and the
  // server owns the io_context until that thread has been joined.
  std::weak_ptr<boost::asio::io_context> io_context;
  std::shared_ptr<ConnectionRegistry> registry;
  // The server's TLS context, or nullptr when TLS is off. With it, a connection whose first
  // byte is a TLS handshake record is served over TLS (see protocol_sniffer.h).
  std::shared_ptr<boost::asio::ssl::context> tls;
  bool tls_only = false;  // the listener accepts nothing but TLS (--tls-port)
};

}  // namespace shoal::api::transport
