#pragma once
// Test only: the handler, clients and fixture shared by the transport tests.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "api/http/h2_test_client.h"
#include "api/http/http_server.h"

namespace shoal::api::http_test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;
using testing::H2TestClient;
using namespace std::chrono_literals;

constexpr uint64_t kMiB = 1024 * 1024;

inline bool Has(std::string_view target, std::string_view word) {
  return target.find(word) != std::string_view::npos;
}

// ---- test handler ------------------------------------------------------------------------

// Echoes the request. By words in the target:
//   /async...  answered from a worker thread     /close  close_connection = true
//   /hop       adds headers the transport must strip
//   /hold      keeps the Responder (see TakeHeld)  /drop   drops it (transport sends 500)
//   /twice     answers twice (the second is dropped)
//   /stream    a streaming response; the sink is kept (see TakeSinks)
// A too-large body always gets 413 "too large".
class TestHandler : public RequestHandler {
 public:
  TestHandler() : worker_([this] { Work(); }) {}
  ~TestHandler() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }

  void Handle(HttpRequest request, Responder respond) override {
    HttpResponse response = Echo(request);
    const std::string& target = request.target;
    if (Has(target, "/hold")) {
      std::lock_guard lock(mu_);
      held_.push_back(std::move(respond));
      cv_.notify_all();
      return;
    }
    if (Has(target, "/drop")) return;
    if (Has(target, "/stream")) {
      response.body = "ignored";
      response.stream_body = [this](std::shared_ptr<BodySink> sink) {
        std::lock_guard lock(mu_);
        sinks_.push_back(std::move(sink));
        cv_.notify_all();
      };
    }
    if (Has(target, "/twice")) respond(response);
    if (Has(target, "/async") && !request.body_too_large) {
      std::lock_guard lock(mu_);
      tasks_.push_back([respond = std::move(respond), response = std::move(response)] {
        respond(response);
      });
      cv_.notify_all();
      return;
    }
    respond(std::move(response));
  }

  size_t SinkCount() {
    std::lock_guard lock(mu_);
    return sinks_.size();
  }

  size_t HeldCount() {
    std::lock_guard lock(mu_);
    return held_.size();
  }

  // Waits (bounded) until `n` streaming responses started and takes their sinks.
  std::vector<std::shared_ptr<BodySink>> TakeSinks(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 10s, [&] { return sinks_.size() >= n; });
    return std::exchange(sinks_, {});
  }

  // Waits (bounded) until `n` requests are held and takes their Responders.
  std::vector<Responder> TakeHeld(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 10s, [&] { return held_.size() >= n; });
    return std::exchange(held_, {});
  }

 private:
  static HttpResponse Echo(const HttpRequest& request) {
    HttpResponse response;
    if (request.body_too_large) {
      response.status = 413;
      response.body = "too large";
      return response;
    }
    response.headers = {
        {"x-amzn-RequestId", "req-1"},
        {"x-echo-method", request.method},
        {"x-echo-target", request.target},
        {"x-echo-version", request.version == HttpRequest::Version::kHttp2 ? "2" : "1.1"},
        {"x-echo-authority", std::string(request.Header(":authority"))},
        {"x-echo-scheme", std::string(request.Header(":scheme"))},
        {"x-echo-host", std::string(request.Header("host"))},
        {"x-echo-test", std::string(request.Header("x-test"))},
    };
    response.body = request.body;
    if (Has(request.target, "/close")) response.close_connection = true;
    if (Has(request.target, "/hop")) {
      response.headers.insert(response.headers.end(), {{"Connection", "keep-alive"},
                                                       {"keep-alive", "timeout=5"},
                                                       {"transfer-encoding", "chunked"},
                                                       {"upgrade", "h2c"},
                                                       {"content-length", "999"},
                                                       {"X-Mixed-Case", "v"}});
    }
    return response;
  }

  void Work() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::vector<Responder> held_;
  std::vector<std::shared_ptr<BodySink>> sinks_;
  bool stopping_ = false;
  std::thread worker_;
};

// Counts log messages at warn or above.
class CountingSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  int warnings() {
    std::lock_guard lock(mutex_);
    return warnings_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (msg.level >= spdlog::level::warn) ++warnings_;
  }
  void flush_() override {}

 private:
  int warnings_ = 0;
};

// ---- HTTP/1.1 client ---------------------------------------------------------------------

using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

// Blocking-style HTTP/1.1 client. Every operation is asynchronous underneath and bounded:
// io_context::run_for() gives up after kIoTimeout and closes the socket.
class Http1Client {
 public:
  static constexpr auto kIoTimeout = 20s;

  explicit Http1Client(uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port));
  }

  static Request MakeRequest(const std::string& target, std::string body = "{}") {
    Request request(bhttp::verb::post, target, 11);
    request.set(bhttp::field::host, "localhost");
    request.set(bhttp::field::content_type, "application/x-amz-json-1.1");
    request.set("X-Amz-Target", "Kinesis_20131202.ListStreams");
    request.body() = std::move(body);
    request.prepare_payload();
    return request;
  }

  void Write(Request& request) {
    const error_code ec = Run([&](auto done) { bhttp::async_write(socket_, request, done); });
    ASSERT_FALSE(ec) << ec.message();
  }
  template <class Serializer>
  error_code WriteHeader(Serializer& serializer) {
    return Run([&](auto done) { bhttp::async_write_header(socket_, serializer, done); });
  }
  template <class Serializer>
  error_code WriteRest(Serializer& serializer) {
    return Run([&](auto done) { bhttp::async_write(socket_, serializer, done); });
  }
  void WriteRaw(std::string_view bytes) {
    const error_code ec = Run([&](auto done) {
      asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), done);
    });
    ASSERT_FALSE(ec) << ec.message();
  }
  // Reads until at least `n` bytes past the response header are buffered, and returns and
  // consumes exactly `n` of them (fails the test on error or timeout).
  std::string ReadRaw(size_t n) {
    while (buffer_.size() < n) {
      if (const error_code ec = ReadSome(); ec) {
        ADD_FAILURE() << ec.message();
        return {};
      }
    }
    std::string out(static_cast<const char*>(buffer_.data().data()), n);
    buffer_.consume(n);
    return out;
  }
  // Sets SO_RCVBUF (before the server fills it).
  void SetReceiveBuffer(int bytes) {
    socket_.set_option(asio::socket_base::receive_buffer_size(bytes));
  }
  void Close() {
    error_code ignored;
    socket_.close(ignored);
  }
  Response Read(error_code& ec) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * kMiB);
    ec = Run([&](auto done) { bhttp::async_read(socket_, buffer_, parser, done); });
    return parser.release();
  }
  Response Read() {
    error_code ec;
    Response response = Read(ec);
    EXPECT_FALSE(ec) << ec.message();
    return response;
  }
  Response RoundTrip(Request request) {
    Write(request);
    return Read();
  }
  // Reads raw bytes up to and including the end of the response header.
  std::string ReadRawHeader() {
    for (;;) {
      const std::string_view seen(static_cast<const char*>(buffer_.data().data()),
                                  buffer_.size());
      if (const size_t end = seen.find("\r\n\r\n"); end != std::string_view::npos) {
        std::string header(seen.substr(0, end + 4));
        buffer_.consume(end + 4);
        return header;
      }
      const error_code ec = ReadSome();
      if (ec) {
        ADD_FAILURE() << ec.message();
        return {};
      }
    }
  }
  // True if the server closed the connection cleanly (FIN, not RST) with nothing unread.
  bool ReadsCleanEof() {
    if (buffer_.size() != 0) return false;
    const error_code ec = ReadSome();
    return ec == asio::error::eof && buffer_.size() == 0;
  }

 private:
  error_code ReadSome() {
    auto space = buffer_.prepare(4096);
    size_t got = 0;
    const error_code ec = Run([&](auto done) {
      socket_.async_read_some(space, [&got, done](error_code e, size_t n) mutable {
        got = n;
        done(e, n);
      });
    });
    buffer_.commit(got);
    return ec;
  }

  // Starts `initiate(handler)` and runs the io_context until it completes or kIoTimeout.
  template <class Initiate>
  error_code Run(Initiate initiate) {
    error_code result = asio::error::timed_out;
    bool finished = false;
    initiate([&](error_code ec, size_t) {
      result = ec;
      finished = true;
    });
    io_.restart();
    io_.run_for(kIoTimeout);
    if (!finished) {
      error_code ignored;
      socket_.close(ignored);
      io_.restart();
      io_.run();
      result = asio::error::timed_out;
    }
    return result;
  }

  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

inline std::string Header(const Response& response, std::string_view name) {
  const auto value = response[beast::string_view(name.data(), name.size())];
  return std::string(value.data(), value.size());
}

inline std::string Header(const H2TestClient::Response& response, std::string_view name) {
  for (const auto& [n, v] : response.headers)
    if (n == name) return v;
  return {};
}

inline std::string Pattern(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return s;
}

// ---- fixture -----------------------------------------------------------------------------

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_logger_ = spdlog::default_logger();
    sink_ = std::make_shared<CountingSink>();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("http_test", sink_));
  }

  void TearDown() override {
    server_.reset();
    EXPECT_EQ(sink_->warnings(), expected_warnings_) << "unexpected warnings or errors logged";
    spdlog::set_default_logger(previous_logger_);
  }

  void StartServer(HttpServerOptions options = {}) {
    options.port = 0;
    server_ = std::make_unique<HttpServer>(options, handler_);
    const Status<HttpErrc> status = server_->Start();
    ASSERT_TRUE(status.ok()) << status.message();
    ASSERT_NE(server_->port(), 0);
  }
  uint16_t port() const { return server_->port(); }

  TestHandler handler_;  // declared first: outlives server_
  std::unique_ptr<HttpServer> server_;
  std::shared_ptr<CountingSink> sink_;
  std::shared_ptr<spdlog::logger> previous_logger_;
  int expected_warnings_ = 0;
};

}  // namespace shoal::api::http_test
