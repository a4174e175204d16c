#pragma once
// The lifecycle of one shoal node: opens the data directory and the catalog, wires the
// service, the protocol handler and the transport, and tears them down in reverse order.

#include <memory>
#include <string>

#include "common/status.h"
#include "server/config.h"

namespace shoal::server {

enum class ServerErrc { kDataDir, kCatalog, kStorage, kListen, kConfig, kTls };

class Server {
 public:
  explicit Server(ServeConfig config);
  ~Server();  // Stops.

  // Opens everything and starts listening. On error nothing keeps running.
  Status<ServerErrc> Start();
  // Stops accepting, finishes in-flight requests, closes the catalog. Idempotent.
  void Stop();
  uint16_t port() const;
  // The TLS-only port (0 when --tls-port is not set).
  uint16_t tls_port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::server
