#pragma once
// HTTP/2 server session over one stream (nghttp2; h2c with prior knowledge, or h2 over TLS): many
// concurrent streams, flow control, GOAWAY on close_connection / Shutdown() / idle timeout.
// Details on Http2Session in the .cc.

#include <string>

#include "api/http/connection.h"

namespace shoal::api::transport {

// Takes ownership of `stream` and of `preread` (bytes already read from it, starting with
// the client preface, fed to nghttp2 first; empty after a TLS handshake that chose "h2"),
// registers the session in ctx.registry and serves it on the stream's executor.
// Thread-safe; returns immediately. Instantiated for TcpSocket and TlsStream (stream_ops.h).
template <class Stream>
void StartHttp2Session(Stream stream, std::string preread, ConnectionContext ctx);

}  // namespace shoal::api::transport
