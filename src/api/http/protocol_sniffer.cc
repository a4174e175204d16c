#include "api/http/protocol_sniffer.h"

#include <openssl/ssl.h>

#include <array>
#include <string>
#include <string_view>
#include <type_traits>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "api/http/connection_registry.h"
#include "api/http/http1_connection.h"
#include "api/http/http2_session.h"
#include "api/http/stream_ops.h"

namespace shoal::api::transport {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

constexpr std::string_view kH2Preface("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
constexpr unsigned char kTlsHandshakeRecord = 0x16;  // RFC 8446 section 5.1, ContentType

enum class Verdict { kNeedMore, kHttp1, kHttp2 };

void StartTlsHandshake(TcpSocket socket, ConnectionContext ctx);

Verdict Classify(std::string_view bytes) {
  const size_t n = std::min(bytes.size(), kH2Preface.size());
  if (bytes.substr(0, n) != kH2Preface.substr(0, n)) return Verdict::kHttp1;
  return n == kH2Preface.size() ? Verdict::kHttp2 : Verdict::kNeedMore;
}

// Lives until the first bytes decide the protocol (or the idle timeout / Shutdown()).
// All members are touched only on the stream's executor.
template <class Stream>
class ProtocolSniffer final : public Connection,
                              public std::enable_shared_from_this<ProtocolSniffer<Stream>> {
 public:
  ProtocolSniffer(Stream stream, ConnectionContext ctx)
      : stream_(std::move(stream)), timer_(stream_.get_executor()), ctx_(std::move(ctx)) {}

  asio::any_io_executor executor() { return timer_.get_executor(); }

  void Run() {
    if (!ctx_.registry->Add(this->weak_from_this())) return Close();
    if (ctx_.idle_timeout.count() > 0) {
      timer_.expires_after(ctx_.idle_timeout);
      timer_.async_wait([self = this->shared_from_this()](error_code ec) {
        if (!ec) self->Close();  // idle before sending a single request
      });
    }
    if constexpr (std::is_same_v<Stream, TcpSocket>) {
      if (ctx_.tls != nullptr) return Peek();
    }
    Read();
  }

  void Shutdown() override {
    asio::post(executor(), [self = this->shared_from_this()] { self->Close(); });
  }

 private:
  void Read() {
    stream_.async_read_some(asio::buffer(chunk_),
                            [self = this->shared_from_this()](error_code ec, size_t n) {
                              self->OnRead(ec, n);
                            });
  }

  // TcpSocket only: waits for the first byte and looks at it without consuming it.
  void Peek() {
    stream_.async_receive(asio::buffer(chunk_.data(), 1), TcpSocket::message_peek,
                          [self = this->shared_from_this()](error_code ec, size_t n) {
                            self->OnPeek(ec, n);
                          });
  }

  void OnPeek(error_code ec, size_t n) {
    if (done_) return;
    if (ec || n == 0) return Close();
    if (static_cast<unsigned char>(chunk_[0]) == kTlsHandshakeRecord) {
      Finish();
      if constexpr (std::is_same_v<Stream, TcpSocket>)
        StartTlsHandshake(std::move(stream_), std::move(ctx_));
      return;
    }
    if (ctx_.tls_only) {
      spdlog::debug("http: closing a cleartext connection to the TLS-only port");
      return Close();
    }
    Read();
  }

  void OnRead(error_code ec, size_t n) {
    if (done_) return;
    if (ec) return Close();  // EOF or reset before a request: nothing to log
    bytes_.append(chunk_.data(), n);
    switch (Classify(bytes_)) {
      case Verdict::kNeedMore:
        return Read();
      case Verdict::kHttp1:
        Finish();
        return StartHttp1Connection(std::move(stream_), std::move(bytes_), std::move(ctx_));
      case Verdict::kHttp2:
        Finish();
        return StartHttp2Session(std::move(stream_), std::move(bytes_), std::move(ctx_));
    }
  }

  void Finish() {
    done_ = true;
    timer_.cancel();
  }

  void Close() {
    if (done_) return;
    Finish();
    CloseStream(stream_);
  }

  Stream stream_;
  asio::steady_timer timer_;
  ConnectionContext ctx_;
  std::array<char, 4096> chunk_;
  std::string bytes_;
  bool done_ = false;  // handed off or closed; stream_ must not be used any more
};

// The TLS server handshake on a connection the sniffer recognised as TLS, then the hand-off
// by ALPN (see protocol_sniffer.h). Bounded by the idle timeout like the sniffer.
class TlsHandshake final : public Connection, public std::enable_shared_from_this<TlsHandshake> {
 public:
  TlsHandshake(TcpSocket socket, ConnectionContext ctx)
      : stream_(std::move(socket), *ctx.tls), timer_(stream_.get_executor()), ctx_(std::move(ctx)) {}

  asio::any_io_executor executor() { return timer_.get_executor(); }

  void Run() {
    if (!ctx_.registry->Add(weak_from_this())) return Close();
    if (ctx_.idle_timeout.count() > 0) {
      timer_.expires_after(ctx_.idle_timeout);
      timer_.async_wait([self = shared_from_this()](error_code ec) {
        if (!ec) self->Close();  // a handshake that never completes
      });
    }
    stream_.async_handshake(TlsStream::server, [self = shared_from_this()](error_code ec) {
      self->OnHandshake(ec);
    });
  }

  void Shutdown() override {
    asio::post(executor(), [self = shared_from_this()] { self->Close(); });
  }

 private:
  void OnHandshake(error_code ec) {
    if (done_) return;
    if (ec) {
      spdlog::debug("http: TLS handshake failed: {}", ec.message());
      return Close();
    }
    done_ = true;
    timer_.cancel();
    const unsigned char* alpn = nullptr;
    unsigned int alpn_len = 0;
    SSL_get0_alpn_selected(stream_.native_handle(), &alpn, &alpn_len);
    const std::string_view protocol(reinterpret_cast<const char*>(alpn), alpn_len);
    if (protocol == "h2") return StartHttp2Session(std::move(stream_), {}, std::move(ctx_));
    if (protocol == "http/1.1")
      return StartHttp1Connection(std::move(stream_), {}, std::move(ctx_));
    StartProtocolSniffer(std::move(stream_), std::move(ctx_));  // no ALPN: sniff the preface
  }

  void Close() {
    if (done_) return;
    done_ = true;
    timer_.cancel();
    CloseStream(stream_);
  }

  TlsStream stream_;
  asio::steady_timer timer_;
  ConnectionContext ctx_;
  bool done_ = false;  // handed off or closed; stream_ must not be used any more
};

void StartTlsHandshake(TcpSocket socket, ConnectionContext ctx) {
  auto handshake = std::make_shared<TlsHandshake>(std::move(socket), std::move(ctx));
  asio::post(handshake->executor(), [handshake] { handshake->Run(); });
}

}  // namespace

template <class Stream>
void StartProtocolSniffer(Stream stream, ConnectionContext ctx) {
  auto sniffer = std::make_shared<ProtocolSniffer<Stream>>(std::move(stream), std::move(ctx));
  asio::post(sniffer->executor(), [sniffer] { sniffer->Run(); });
}

template void StartProtocolSniffer<TcpSocket>(TcpSocket, ConnectionContext);
template void StartProtocolSniffer<TlsStream>(TlsStream, ConnectionContext);

}  // namespace shoal::api::transport
