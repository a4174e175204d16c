#include "api/http/protocol_sniffer.h"

#include <array>
#include <string>
#include <string_view>

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

enum class Verdict { kNeedMore, kHttp1, kHttp2 };

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

}  // namespace

template <class Stream>
void StartProtocolSniffer(Stream stream, ConnectionContext ctx) {
  auto sniffer = std::make_shared<ProtocolSniffer<Stream>>(std::move(stream), std::move(ctx));
  asio::post(sniffer->executor(), [sniffer] { sniffer->Run(); });
}

template void StartProtocolSniffer<TcpSocket>(TcpSocket, ConnectionContext);

}  // namespace shoal::api::transport
