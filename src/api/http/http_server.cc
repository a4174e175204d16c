#include "api/http/http_server.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/http/connection.h"
#include "api/http/connection_registry.h"
#include "api/http/protocol_sniffer.h"
#include "api/http/stream_ops.h"
#include "api/http/tls_context.h"

namespace shoal::api {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;

// Stop() waits this long for connections to wind down (they bound their own goodbyes to
// ~2 s) before it stops the io_contexts outright.
constexpr auto kStopGrace = std::chrono::seconds(5);
// Back-off after a failed accept (e.g. EMFILE) so the acceptor does not spin.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(50);

}  // namespace

// Threading: one io_context per I/O thread, each run by exactly one thread. The acceptors
// live on context 0 and hand sockets out round-robin. A connection and everything it
// does (reads, writes, timers, nghttp2 calls, delivered responses) therefore run on a
// single thread, so connections need neither strands nor locks; only the Responder (posts
// to the connection's io_context) and Shutdown() (posts too) cross threads. The cost is
// no work stealing between threads, which is fine for many short requests.
//
// Lifetimes: Impl outlives every handler it registers with `this` (accept and retry
// handlers), because Stop() closes the acceptor and joins all threads before Impl goes;
// handlers still queued after that are destroyed unrun. io_contexts are shared_ptrs because
// Responders may post to them after the server is gone (see responder.h).
class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, RequestHandler& handler)
      : options_(std::move(options)), handler_(handler) {}
  ~Impl() { Stop(); }

  Status<HttpErrc> Start();
  void Stop();
  uint16_t port() const { return port_; }
  uint16_t tls_port() const { return tls_port_; }

 private:
  // One listening socket and its accept loop; all on contexts_[0].
  struct Listener {
    explicit Listener(asio::io_context& context, bool tls_only_)
        : acceptor(context), retry_timer(context), tls_only(tls_only_) {}
    tcp::acceptor acceptor;
    asio::steady_timer retry_timer;  // back-off after a failed accept
    bool tls_only;
    uint16_t port = 0;
  };

  Status<HttpErrc> MakeTlsContext();
  Status<HttpErrc> Listen(uint16_t port, bool tls_only);
  Status<HttpErrc> ResolveEndpoint(uint16_t port, tcp::endpoint& endpoint) const;
  void StartThreads();
  void Accept(Listener& listener);
  void OnAccept(Listener& listener, error_code ec, tcp::socket socket, size_t context_index);
  void JoinThreads();

  const HttpServerOptions options_;
  RequestHandler& handler_;
  bool started_ = false;  // Start()/Stop() are called by the owner, not concurrently
  uint16_t port_ = 0;
  uint16_t tls_port_ = 0;
  std::vector<std::shared_ptr<asio::io_context>> contexts_;
  std::vector<WorkGuard> work_;
  std::shared_ptr<asio::ssl::context> tls_;  // nullptr: cleartext only
  // [0]: the main port; [1]: the TLS-only port, if any. Used on contexts_[0] only.
  std::vector<std::unique_ptr<Listener>> listeners_;
  size_t next_context_ = 0;  // only on contexts_[0]'s thread
  std::shared_ptr<transport::ConnectionRegistry> registry_;
  std::vector<std::thread> threads_;
  std::mutex threads_mu_;
  std::condition_variable threads_done_;
  int running_threads_ = 0;  // guarded by threads_mu_
};

Status<HttpErrc> HttpServer::Impl::Start() {
  assert(!started_);  // REQUIRES: not started (a stopped server is not restarted)
  const int threads = std::max(1, options_.io_threads);
  for (int i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_shared<asio::io_context>());
    work_.push_back(asio::make_work_guard(*contexts_.back()));
  }
  Status<HttpErrc> s = MakeTlsContext();
  if (s.ok()) s = Listen(options_.port, /*tls_only=*/false);
  if (s.ok() && options_.tls_port) s = Listen(*options_.tls_port, /*tls_only=*/true);
  if (!s.ok()) {
    listeners_.clear();
    tls_.reset();
    work_.clear();
    contexts_.clear();
    return s;
  }
  port_ = listeners_[0]->port;
  tls_port_ = listeners_.size() > 1 ? listeners_[1]->port : 0;
  registry_ = std::make_shared<transport::ConnectionRegistry>();
  // The acceptors are used on their thread only.
  for (auto& listener : listeners_)
    asio::post(*contexts_[0], [this, l = listener.get()] { Accept(*l); });
  StartThreads();
  started_ = true;
  return Status<HttpErrc>::Ok();
}

// Accepts numeric IPv4/IPv6 addresses and "localhost" (loopback). Host names are not
// resolved: a listener address comes from configuration, and a DNS lookup could stall
// Start().
Status<HttpErrc> HttpServer::Impl::ResolveEndpoint(uint16_t port, tcp::endpoint& endpoint) const {
  if (options_.host == "localhost") {
    endpoint = tcp::endpoint(asio::ip::address_v4::loopback(), port);
    return Status<HttpErrc>::Ok();
  }
  error_code ec;
  const auto address = asio::ip::make_address(options_.host, ec);
  if (ec) {
    return Status<HttpErrc>(HttpErrc::kInvalidAddress,
                            fmt::format("'{}' is not an IP address: {}", options_.host,
                                        ec.message()));
  }
  endpoint = tcp::endpoint(address, port);
  return Status<HttpErrc>::Ok();
}

Status<HttpErrc> HttpServer::Impl::MakeTlsContext() {
  if (options_.tls_cert_pem.empty() && options_.tls_key_pem.empty()) {
    if (options_.tls_port)
      return Status<HttpErrc>(HttpErrc::kTlsSetup, "a TLS port needs a certificate and key");
    return Status<HttpErrc>::Ok();
  }
  auto context = MakeServerTlsContext(PemPair{options_.tls_cert_pem, options_.tls_key_pem});
  if (!context.ok()) return Status<HttpErrc>(HttpErrc::kTlsSetup, context.message());
  tls_ = std::move(*context);
  return Status<HttpErrc>::Ok();
}

Status<HttpErrc> HttpServer::Impl::Listen(uint16_t port, bool tls_only) {
  tcp::endpoint endpoint;
  SHOAL_RETURN_IF_ERROR(ResolveEndpoint(port, endpoint));
  auto listener = std::make_unique<Listener>(*contexts_[0], tls_only);
  tcp::acceptor& acceptor = listener->acceptor;
  error_code ec;
  const char* step = "open";
  if (acceptor.open(endpoint.protocol(), ec); !ec) {
    step = "set SO_REUSEADDR";
    if (acceptor.set_option(tcp::acceptor::reuse_address(true), ec); !ec) {
      step = "bind";
      if (acceptor.bind(endpoint, ec); !ec) {
        step = "listen";
        acceptor.listen(tcp::acceptor::max_listen_connections, ec);
      }
    }
  }
  if (!ec) listener->port = acceptor.local_endpoint(ec).port();
  if (ec) {
    return Status<HttpErrc>(HttpErrc::kBindFailed, fmt::format("{} {}:{}: {}", step,
                                                               options_.host, port,
                                                               ec.message()));
  }
  listeners_.push_back(std::move(listener));
  return Status<HttpErrc>::Ok();
}

void HttpServer::Impl::StartThreads() {
  std::lock_guard lock(threads_mu_);
  for (auto& context : contexts_) {
    ++running_threads_;
    threads_.emplace_back([this, context] {
      context->run();
      std::lock_guard lock(threads_mu_);
      --running_threads_;
      threads_done_.notify_all();
    });
  }
}

void HttpServer::Impl::Accept(Listener& listener) {
  if (!listener.acceptor.is_open()) return;
  const size_t index = next_context_++ % contexts_.size();
  listener.acceptor.async_accept(
      *contexts_[index], [this, &listener, index](error_code ec, tcp::socket socket) {
        OnAccept(listener, ec, std::move(socket), index);
      });
}

void HttpServer::Impl::OnAccept(Listener& listener, error_code ec, tcp::socket socket,
                                size_t context_index) {
  if (!listener.acceptor.is_open()) return;  // Stop() closed it
  if (ec) {
    spdlog::warn("http: accept failed: {}", ec.message());
    listener.retry_timer.expires_after(kAcceptRetryDelay);
    listener.retry_timer.async_wait([this, &listener](error_code wait_ec) {
      if (!wait_ec) Accept(listener);
    });
    return;
  }
  socket.set_option(tcp::no_delay(true), ec);  // best effort
  transport::ConnectionContext ctx;
  ctx.handler = &handler_;
  ctx.max_body_bytes = options_.max_body_bytes;
  ctx.idle_timeout = std::chrono::seconds(options_.idle_timeout_seconds);
  ctx.io_context = contexts_[context_index];
  ctx.registry = registry_;
  ctx.tls = tls_;
  ctx.tls_only = listener.tls_only;
  transport::StartProtocolSniffer(std::move(socket), std::move(ctx));
  Accept(listener);
}

void HttpServer::Impl::Stop() {
  if (!started_) return;
  started_ = false;
  asio::post(*contexts_[0], [this] {
    for (auto& listener : listeners_) {
      error_code ignored;
      listener->acceptor.close(ignored);
      listener->retry_timer.cancel();
    }
  });
  registry_->ShutdownAll();  // connections accepted from now on close themselves at once
  work_.clear();             // each io_context returns from run() once its work is done
  JoinThreads();
  listeners_.clear();
  contexts_.clear();  // a Responder may keep one alive (not running) a little longer
}

void HttpServer::Impl::JoinThreads() {
  {
    std::unique_lock lock(threads_mu_);
    if (!threads_done_.wait_for(lock, kStopGrace, [this] { return running_threads_ == 0; })) {
      spdlog::warn("http: connections still busy {} s after Stop(); stopping I/O threads",
                   kStopGrace.count());
      for (auto& context : contexts_) context->stop();
    }
  }
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

HttpServer::HttpServer(HttpServerOptions options, RequestHandler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

HttpServer::~HttpServer() = default;

Status<HttpErrc> HttpServer::Start() { return impl_->Start(); }

void HttpServer::Stop() { impl_->Stop(); }

uint16_t HttpServer::port() const { return impl_->port(); }

uint16_t HttpServer::tls_port() const { return impl_->tls_port(); }

}  // namespace shoal::api
