#pragma once
// The byte streams under a connection. Connections and the protocol sniffer are templates
// over `Stream` and touch it only through Asio's AsyncReadStream/AsyncWriteStream interface
// plus the helpers below; each is explicitly instantiated for TcpSocket and TlsStream in its
// .cc file. Adding another stream type means: overload these helpers for it and add the
// explicit instantiations.
//
// TLS (TlsStream): the handshake runs before any protocol is chosen (see protocol_sniffer.h).
// ShutdownSend() half-closes the TCP connection without a TLS close_notify: sending one
// asynchronously would need an SSL_shutdown exchange that also reads, racing the lingering
// read that follows. Every HTTP message we send is self-delimiting (Content-Length, chunked,
// HTTP/2 frames) except a streamed body to an HTTP/1.0 client, so a missing close_notify
// cannot make a client accept a truncated response as complete.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>

namespace shoal::api::transport {

using TcpSocket = boost::asio::ip::tcp::socket;
using TlsStream = boost::asio::ssl::stream<TcpSocket>;

// Half-closes the sending side (the peer reads EOF); reading stays possible. Ignores errors.
inline void ShutdownSend(TcpSocket& socket) {
  boost::system::error_code ignored;
  socket.shutdown(TcpSocket::shutdown_send, ignored);
}
inline void ShutdownSend(TlsStream& stream) { ShutdownSend(stream.next_layer()); }

// Closes the stream; pending operations complete with operation_aborted. Ignores errors.
inline void CloseStream(TcpSocket& socket) {
  boost::system::error_code ignored;
  socket.shutdown(TcpSocket::shutdown_both, ignored);
  socket.close(ignored);
}
inline void CloseStream(TlsStream& stream) { CloseStream(stream.next_layer()); }

}  // namespace shoal::api::transport
