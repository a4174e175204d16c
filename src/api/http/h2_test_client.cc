#include "api/http/h2_test_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <vector>

namespace shoal::api::testing {

using Clock = std::chrono::steady_clock;

struct H2TestClient::Body {
  std::string data;
  size_t offset = 0;
};

struct H2TestClientCallbacks {
  static H2TestClient* Self(void* user) { return static_cast<H2TestClient*>(user); }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                      void* user) {
    auto& r = Self(user)->responses_[frame->hd.stream_id];
    std::string n(reinterpret_cast<const char*>(name), namelen);
    std::string v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":status") r.status = std::stoi(v);
    r.headers.emplace_back(std::move(n), std::move(v));
    return 0;
  }

  static int OnData(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                    size_t len, void* user) {
    Self(user)->responses_[stream_id].body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }

  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    if (frame->hd.type == NGHTTP2_GOAWAY) Self(user)->goaway_received_ = true;
    if (frame->hd.type == NGHTTP2_PING && (frame->hd.flags & NGHTTP2_FLAG_ACK))
      Self(user)->ping_acked_ = true;
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                           void* user) {
    auto& r = Self(user)->responses_[stream_id];
    if (!r.closed) --Self(user)->open_streams_;
    r.closed = true;
    r.close_error = error_code;
    return 0;
  }

  static ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                          uint32_t* flags, nghttp2_data_source* source, void*) {
    auto* body = static_cast<H2TestClient::Body*>(source->ptr);
    const size_t n = std::min(length, body->data.size() - body->offset);
    std::memcpy(buf, body->data.data() + body->offset, n);
    body->offset += n;
    if (body->offset == body->data.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
};

H2TestClient::H2TestClient() {
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &H2TestClientCallbacks::OnHeader);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &H2TestClientCallbacks::OnData);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &H2TestClientCallbacks::OnFrameRecv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs,
                                                         &H2TestClientCallbacks::OnStreamClose);
  nghttp2_session_client_new(&session_, cbs, this);
  nghttp2_session_callbacks_del(cbs);
}

H2TestClient::~H2TestClient() {
  nghttp2_session_del(session_);
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ssl_ctx_ != nullptr) SSL_CTX_free(ssl_ctx_);
  if (fd_ >= 0) ::close(fd_);
}

bool H2TestClient::TcpConnect(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return false;
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return true;
}

bool H2TestClient::Connect(uint16_t port, int32_t stream_window) {
  if (!TcpConnect(port)) return false;
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  return SubmitSettings(stream_window);
}

bool H2TestClient::ConnectTls(uint16_t port, const std::string& ca_pem, bool offer_alpn,
                              int32_t stream_window) {
  if (!TcpConnect(port)) return false;
  // OpenSSL writes to the socket with write(), which raises SIGPIPE once we half-closed.
  std::signal(SIGPIPE, SIG_IGN);
  ssl_ctx_ = SSL_CTX_new(TLS_client_method());
  BIO* bio = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
  X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (ca == nullptr) return false;
  X509_STORE_add_cert(SSL_CTX_get_cert_store(ssl_ctx_), ca);
  X509_free(ca);
  SSL_CTX_set_verify(ssl_ctx_, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_mode(ssl_ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (offer_alpn) {
    static const unsigned char kAlpn[] = {2, 'h', '2'};
    SSL_CTX_set_alpn_protos(ssl_ctx_, kAlpn, sizeof(kAlpn));
  }
  ssl_ = SSL_new(ssl_ctx_);
  SSL_set_tlsext_host_name(ssl_, "localhost");
  SSL_set1_host(ssl_, "localhost");
  SSL_set_fd(ssl_, fd_);
  if (SSL_connect(ssl_) != 1) return false;  // blocking handshake
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  return SubmitSettings(stream_window);
}

std::string H2TestClient::alpn() const {
  const unsigned char* data = nullptr;
  unsigned int len = 0;
  if (ssl_ != nullptr) SSL_get0_alpn_selected(ssl_, &data, &len);
  return std::string(reinterpret_cast<const char*>(data), len);
}

ssize_t H2TestClient::SendSome(const char* data, size_t size) {
  if (ssl_ == nullptr) return ::send(fd_, data, size, MSG_NOSIGNAL);
  const int n = SSL_write(ssl_, data, static_cast<int>(size));
  if (n > 0) return n;
  const int err = SSL_get_error(ssl_, n);
  errno = (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) ? EAGAIN : EPIPE;
  return -1;
}

ssize_t H2TestClient::RecvSome(char* data, size_t size) {
  if (ssl_ == nullptr) return ::recv(fd_, data, size, 0);
  const int n = SSL_read(ssl_, data, static_cast<int>(size));
  if (n > 0) return n;
  const int err = SSL_get_error(ssl_, n);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
    errno = EAGAIN;
    return -1;
  }
  if (err == SSL_ERROR_ZERO_RETURN) return 0;
  // An EOF without close_notify is how the server ends TLS connections (stream_ops.h).
  if (err == SSL_ERROR_SYSCALL || err == SSL_ERROR_SSL) {
    if (errno == ECONNRESET) return -1;
    return 0;
  }
  errno = EIO;
  return -1;
}

bool H2TestClient::SubmitSettings(int32_t stream_window) {
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(stream_window)}};
  if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 1) != 0) return false;
  // A larger window applies to the whole connection too.
  return stream_window <= 65535 ||
         nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, stream_window) == 0;
}

int32_t H2TestClient::Submit(const std::string& method, const std::string& path,
                             std::string body, bool content_length, const HeaderList& extra) {
  HeaderList fields = {{":method", method},
                       {":path", path},
                       {":scheme", ssl_ != nullptr ? "https" : "http"},
                       {":authority", "localhost"},
                       {"content-type", "application/x-amz-json-1.1"}};
  if (content_length) fields.emplace_back("content-length", std::to_string(body.size()));
  fields.insert(fields.end(), extra.begin(), extra.end());
  std::vector<nghttp2_nv> nva;
  for (auto& [n, v] : fields) {
    nva.push_back({reinterpret_cast<uint8_t*>(n.data()), reinterpret_cast<uint8_t*>(v.data()),
                   n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
  }
  auto owned = std::make_unique<Body>();
  owned->data = std::move(body);
  nghttp2_data_provider provider{};
  provider.source.ptr = owned.get();
  provider.read_callback = &H2TestClientCallbacks::ReadBody;
  const bool has_body = !owned->data.empty();
  const int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                            has_body ? &provider : nullptr, nullptr);
  if (id > 0) {
    bodies_[id] = std::move(owned);
    responses_[id];
    ++open_streams_;
  }
  return id;
}

void H2TestClient::Cancel(int32_t stream_id) {
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
}

void H2TestClient::Ping() { nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr); }

void H2TestClient::Fill() {
  if (out_offset_ == out_.size()) {
    out_.clear();
    out_offset_ = 0;
  }
  while (out_.size() - out_offset_ < 256 * 1024) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) failed_ = true;
    if (n <= 0) break;
    out_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
}

// One poll round. False when the connection is over (EOF/reset/failure).
bool H2TestClient::Step(int timeout_ms) {
  if (eof_ || failed_) return false;
  Fill();
  pollfd p{fd_, POLLIN, 0};
  if (out_offset_ < out_.size()) p.events |= POLLOUT;
  if (::poll(&p, 1, timeout_ms) <= 0) return true;
  if (p.revents & POLLOUT) {
    const ssize_t n = SendSome(out_.data() + out_offset_, out_.size() - out_offset_);
    if (n > 0) out_offset_ += static_cast<size_t>(n);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      reset_by_peer_ = errno == ECONNRESET || errno == EPIPE;
      eof_ = true;
      return false;
    }
  }
  if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
    // TLS may hold decrypted bytes the socket no longer signals: read until it would block.
    for (;;) {
      char buf[65536];
      const ssize_t n = RecvSome(buf, sizeof(buf));
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        reset_by_peer_ = n < 0 && errno == ECONNRESET;
        eof_ = true;
        ::close(fd_);  // like real clients: the server's EOF ends the connection
        fd_ = -1;
        return false;
      }
      if (n < 0) break;
      if (nghttp2_session_mem_recv(session_, reinterpret_cast<uint8_t*>(buf),
                                   static_cast<size_t>(n)) < 0) {
        failed_ = true;
        return false;
      }
      if (ssl_ == nullptr) break;
    }
  }
  return true;
}

template <class Done>
bool H2TestClient::Pump(Done done, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    if (!Step(static_cast<int>(std::min<int64_t>(left.count(), 100)))) return done();
  }
  return !failed_;
}

bool H2TestClient::RunUntil(const std::function<bool()>& done,
                            std::chrono::milliseconds timeout) {
  return Pump(done, timeout);
}

bool H2TestClient::RunUntilDone(std::chrono::milliseconds timeout) {
  return Pump([this] { return open_streams_ == 0; }, timeout);
}

bool H2TestClient::RunUntilEof(std::chrono::milliseconds timeout) {
  return Pump([this] { return eof_; }, timeout);
}

bool H2TestClient::RunUntilPingAck(std::chrono::milliseconds timeout) {
  return Pump([this] { return ping_acked_; }, timeout);
}

bool H2TestClient::CloseGracefully(std::chrono::milliseconds timeout) {
  nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
  // Send the GOAWAY, then half-close.
  const auto deadline = Clock::now() + timeout;
  do {
    Fill();
    if (out_offset_ == out_.size()) break;
  } while (Step(50) && Clock::now() < deadline);
  ::shutdown(fd_, SHUT_WR);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return RunUntilEof(left) && !reset_by_peer_;
}

}  // namespace shoal::api::testing
