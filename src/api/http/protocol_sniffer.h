#pragma once
// First stage of every accepted connection: reads until the bytes either are the 24-byte
// HTTP/2 client preface ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", RFC 9113 section 3.4) or
// cannot be, then hands the stream and the bytes read so far to an Http2Session or an
// Http1Connection. Nothing is lost: those bytes are fed to the chosen protocol first.
//
// TLS (when ctx.tls is set): on a TCP connection the sniffer first peeks at the first byte
// without consuming it. 0x16 (a TLS handshake record, which no HTTP request starts with)
// means TLS: the server handshake runs on the same socket, then ALPN decides: "h2" ->
// Http2Session, "http/1.1" -> Http1Connection, none -> this sniffer again, over TLS, so
// clients that speak HTTP/2 over TLS without ALPN (older Java clients) still work.
// Anything else is cleartext, unless ctx.tls_only, which closes the connection.

#include "api/http/connection.h"

namespace shoal::api::transport {

// Takes ownership of the accepted `stream` and starts sniffing on the stream's executor.
// Thread-safe; returns immediately. Instantiated for TcpSocket and TlsStream (stream_ops.h).
template <class Stream>
void StartProtocolSniffer(Stream stream, ConnectionContext ctx);

}  // namespace shoal::api::transport
