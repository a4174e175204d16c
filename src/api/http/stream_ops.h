#pragma once
// The byte stream under a connection. Connections and the protocol sniffer are templates
// over `Stream` and touch it only through Asio's AsyncReadStream/AsyncWriteStream interface
// plus the helpers below. Adding TLS later means: overload these helpers for
// boost::asio::ssl::stream<TcpSocket> (ShutdownSend then sends close_notify), run the
// handshake before sniffing, and add explicit instantiations in the connection .cc files.

#include <boost/asio/ip/tcp.hpp>

namespace shoal::api::transport {

using TcpSocket = boost::asio::ip::tcp::socket;

// Half-closes the sending side (the peer reads EOF); reading stays possible. Ignores errors.
inline void ShutdownSend(TcpSocket& socket) {
  boost::system::error_code ignored;
  socket.shutdown(TcpSocket::shutdown_send, ignored);
}

// Closes the stream; pending operations complete with operation_aborted. Ignores errors.
inline void CloseStream(TcpSocket& socket) {
  boost::system::error_code ignored;
  socket.shutdown(TcpSocket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace shoal::api::transport
