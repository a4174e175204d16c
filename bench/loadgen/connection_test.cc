// The HTTP/1.1 client connection against a scripted server on loopback: pipelining, chunked
// bodies, early close, timeouts and refused connections.

#include "connection.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "task.h"

namespace shoal::loadgen {
namespace {

using namespace std::chrono_literals;

// Accepts one connection, reads until it has seen `requests` request heads+bodies (by counting
// "\r\n\r\n" and Content-Length), then runs `script` with the socket.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::function<void(int fd)> script) : script_(std::move(script)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(listen_fd_, 4), 0);
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      script_(fd);
      close(fd);
    });
  }
  ~ScriptedServer() {
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    thread_.join();
  }
  uint16_t port() const { return port_; }

  // Reads until `n` complete requests (head + Content-Length body) have arrived.
  static void ReadRequests(int fd, int n) {
    std::string in;
    char buf[65536];
    int seen = 0;
    size_t pos = 0;
    while (seen < n) {
      size_t head_end = in.find("\r\n\r\n", pos);
      if (head_end != std::string::npos) {
        size_t cl = in.find("Content-Length: ", pos);
        size_t len = cl != std::string::npos && cl < head_end ? std::stoul(in.substr(cl + 16)) : 0;
        if (in.size() >= head_end + 4 + len) {
          pos = head_end + 4 + len;
          ++seen;
          continue;
        }
      }
      ssize_t r = read(fd, buf, sizeof buf);
      if (r <= 0) return;
      in.append(buf, static_cast<size_t>(r));
    }
  }
  static void Send(int fd, std::string_view s) {
    while (!s.empty()) {
      ssize_t w = write(fd, s.data(), s.size());
      if (w <= 0) return;
      s.remove_prefix(static_cast<size_t>(w));
    }
  }

 private:
  std::function<void(int)> script_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

struct Harness {
  boost::asio::io_context io;
  Endpoint endpoint;
  Signer signer{Credentials{}, "127.0.0.1", false};
  std::unique_ptr<Connection> conn;

  explicit Harness(uint16_t port, Protocol protocol = Protocol::kHttp1) {
    EXPECT_EQ(ResolveEndpoint("http://127.0.0.1:" + std::to_string(port), endpoint), "");
    ConnectionOptions o;
    o.protocol = protocol;
    conn = MakeConnection(io, endpoint, signer, o);
  }

  // Runs `task` to completion (checking timeouts every 10 ms with `timeout`).
  void Run(Task<void> task, std::chrono::nanoseconds timeout = 5s) {
    bool done = false;
    Spawn(std::move(task), [&] { done = true; });
    auto deadline = SteadyClock::now() + 10s;
    while (!done && SteadyClock::now() < deadline) {
      io.run_for(10ms);
      conn->CheckTimeouts(SteadyClock::now(), timeout);
    }
    ASSERT_TRUE(done);
  }
};

Task<void> SendOne(Connection& conn, Call& call) { co_await conn.Send(call); }

// Submits every call before any answer is back (they are pipelined on one connection) and
// finishes when all have completed.
Task<void> SendAll(Connection& conn, std::vector<Call>& calls) {
  struct AllDone {
    int& left;
    std::coroutine_handle<>& me;
    bool await_ready() { return left == 0; }
    void await_suspend(std::coroutine_handle<> h) { me = h; }
    void await_resume() {}
  };
  int left = static_cast<int>(calls.size());
  std::coroutine_handle<> me;
  for (auto& c : calls) {
    Spawn(SendOne(conn, c), [&] {
      if (--left == 0 && me) me.resume();
    });
  }
  co_await AllDone{left, me};
}

TEST(Http1ConnectionTest, PipelinedContentLengthAndChunkedResponses) {
  ScriptedServer server([](int fd) {
    ScriptedServer::ReadRequests(fd, 3);
    // Three answers in one write: Content-Length, chunked (with an extension and a trailer),
    // and an error with x-amzn-ErrorType.
    ScriptedServer::Send(
        fd,
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5;x=y\r\n{\"a\":\r\n3\r\n12}\r\n0\r\nTrailer: 1\r\n\r\n"
        "HTTP/1.1 400 Bad Request\r\nx-amzn-ErrorType: ResourceNotFoundException:http://x\r\n"
        "Content-Length: 0\r\n\r\n");
    char buf[16];
    while (read(fd, buf, sizeof buf) > 0) {
    }
  });
  Harness h(server.port());
  std::vector<Call> calls(3);
  for (auto& c : calls) {
    c.op = Op::kListStreams;
    c.body = "{}";
  }
  h.Run(SendAll(*h.conn, calls));
  EXPECT_EQ(calls[0].status, 200);
  EXPECT_EQ(calls[0].response.view(), "{}");
  EXPECT_EQ(calls[1].status, 200);
  EXPECT_EQ(calls[1].response.view(), "{\"a\":12}");
  EXPECT_EQ(calls[2].status, 400);
  EXPECT_EQ(calls[2].error_type, "ResourceNotFoundException:http://x");
  h.conn->Close();
}

TEST(Http1ConnectionTest, LargeBodyIsReadIntoTheCall) {
  std::string big(3 << 20, 'x');
  ScriptedServer server([&](int fd) {
    ScriptedServer::ReadRequests(fd, 1);
    ScriptedServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(big.size()) +
                                 "\r\n\r\n" + big);
    char buf[16];
    while (read(fd, buf, sizeof buf) > 0) {
    }
  });
  Harness h(server.port());
  std::vector<Call> calls(1);
  calls[0].body = "{}";
  h.Run(SendAll(*h.conn, calls));
  EXPECT_EQ(calls[0].status, 200);
  EXPECT_EQ(calls[0].response.size(), big.size());
  EXPECT_EQ(calls[0].response.view(), big);
  h.conn->Close();
}

TEST(Http1ConnectionTest, CloseMidResponseFailsTheCalls) {
  ScriptedServer server([](int fd) {
    ScriptedServer::ReadRequests(fd, 2);
    ScriptedServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{\"a\"");
  });
  Harness h(server.port());
  std::vector<Call> calls(2);
  for (auto& c : calls) c.body = "{}";
  h.Run(SendAll(*h.conn, calls));
  for (auto& c : calls) {
    EXPECT_EQ(c.status, 0);
    EXPECT_EQ(c.error, TransportError::kIo);
  }
}

TEST(Http1ConnectionTest, SilentServerTimesOut) {
  ScriptedServer server([&](int fd) {
    ScriptedServer::ReadRequests(fd, 1);
    char buf[16];
    while (read(fd, buf, sizeof buf) > 0) {
    }
  });
  Harness h(server.port());
  std::vector<Call> calls(1);
  calls[0].body = "{}";
  auto start = SteadyClock::now();
  h.Run(SendAll(*h.conn, calls), 200ms);
  EXPECT_EQ(calls[0].error, TransportError::kTimeout);
  EXPECT_LT(SteadyClock::now() - start, 2s);
}

TEST(ConnectionTest, RefusedConnectionsFailForBothProtocols) {
  uint16_t port;
  {
    ScriptedServer server([](int) {});  // find a port, then free it
    port = server.port();
    int fd = socket(AF_INET, SOCK_STREAM, 0);  // let the accept thread finish
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    close(fd);
  }
  for (Protocol p : {Protocol::kHttp1, Protocol::kH2}) {
    Harness h(port, p);
    std::vector<Call> calls(2);
    for (auto& c : calls) c.body = "{}";
    h.Run(SendAll(*h.conn, calls));
    for (auto& c : calls) EXPECT_EQ(c.error, TransportError::kConnect);
  }
}

}  // namespace
}  // namespace shoal::loadgen
