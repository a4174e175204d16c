// Streaming response bodies (BodySink) over HTTP/1.1 (chunked) and HTTP/2 (deferred data).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "api/http/http_test_util.h"

namespace shoal::api {
namespace {

using namespace http_test;  // NOLINT: test helpers
using Clock = std::chrono::steady_clock;

// Set once from any thread; counts how often Set() ran.
class Event {
 public:
  void Set() {
    std::lock_guard lock(mu_);
    ++count_;
    cv_.notify_all();
  }
  bool IsSet() {
    std::lock_guard lock(mu_);
    return count_ > 0;
  }
  int count() {
    std::lock_guard lock(mu_);
    return count_;
  }
  bool WaitFor(std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return count_ > 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

// Polls `done` (every millisecond) until it holds or `timeout` passes.
bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// The callbacks of `sink` set the returned events; they outlive the sink's callbacks.
struct SinkEvents {
  std::shared_ptr<Event> closed = std::make_shared<Event>();
  std::shared_ptr<Event> drained = std::make_shared<Event>();
};
SinkEvents Watch(BodySink& sink) {
  SinkEvents events;
  sink.NotifyWhenClosed([e = events.closed] { e->Set(); });
  return events;
}

std::string Chunk(const std::string& data) {
  return fmt::format("{:x}\r\n", data.size()) + data + "\r\n";
}

using StreamingTest = HttpServerTest;

// ---- HTTP/1.1 ----------------------------------------------------------------------------

TEST_F(StreamingTest, Http1ChunksArriveInOrderAndFinishEndsTheBody) {
  StartServer();
  Http1Client client(port());
  Request request = Http1Client::MakeRequest("/stream");
  client.Write(request);
  auto sinks = handler_.TakeSinks(1);
  ASSERT_EQ(sinks.size(), 1u);
  BodySink& sink = *sinks[0];
  SinkEvents events = Watch(sink);
  const std::string header = client.ReadRawHeader();
  EXPECT_EQ(header.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << header;
  EXPECT_NE(header.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << header;
  EXPECT_NE(header.find("x-echo-target: /stream\r\n"), std::string::npos) << header;
  EXPECT_EQ(header.find("Content-Length"), std::string::npos) << header;

  std::string expected;
  for (int i = 0; i < 20; ++i) {
    const std::string piece = "event-" + std::to_string(i) + std::string(i * 100, 'x');
    ASSERT_TRUE(sink.Write(piece));
    expected += Chunk(piece);
  }
  EXPECT_TRUE(sink.Write(""));  // sends nothing
  EXPECT_EQ(client.ReadRaw(expected.size()), expected);
  EXPECT_FALSE(sink.Closed());
  sink.Finish();
  sink.Finish();  // idempotent
  EXPECT_FALSE(sink.Write("late"));
  EXPECT_EQ(client.ReadRaw(5), "0\r\n\r\n");
  ASSERT_TRUE(events.closed->WaitFor());  // the transport is done with it
  EXPECT_TRUE(sink.Closed());
  EXPECT_EQ(sink.Buffered(), 0u);
  // Keep-alive: the connection serves the next request.
  Response next = client.RoundTrip(Http1Client::MakeRequest("/after", "a"));
  EXPECT_EQ(next.result_int(), 200);
  EXPECT_EQ(next.body(), "a");
  EXPECT_EQ(events.closed->count(), 1);
}

TEST_F(StreamingTest, Http1PipelinedRequestAfterAStreamIsAnsweredAfterItEnds) {
  StartServer();
  Http1Client client(port());
  std::ostringstream wire;
  wire << Http1Client::MakeRequest("/stream", "s") << Http1Client::MakeRequest("/next", "n");
  client.WriteRaw(wire.str());
  auto sinks = handler_.TakeSinks(1);
  ASSERT_EQ(sinks.size(), 1u);
  ASSERT_TRUE(sinks[0]->Write("one"));
  ASSERT_TRUE(sinks[0]->Write("two"));
  sinks[0]->Finish();
  Response streamed = client.Read();  // Beast decodes the chunked body
  EXPECT_EQ(streamed.result_int(), 200);
  EXPECT_TRUE(streamed.chunked());
  EXPECT_EQ(streamed.body(), "onetwo");
  Response next = client.Read();
  EXPECT_EQ(Header(next, "x-echo-target"), "/next");
  EXPECT_EQ(next.body(), "n");
}

TEST_F(StreamingTest, Http1ClientThatDoesNotReadBuildsUpBufferedUntilItReads) {
  StartServer();
  Http1Client client(port());
  client.SetReceiveBuffer(16 * 1024);  // no receive-buffer autotuning
  Request request = Http1Client::MakeRequest("/stream");
  client.Write(request);
  auto sinks = handler_.TakeSinks(1);
  ASSERT_EQ(sinks.size(), 1u);
  BodySink& sink = *sinks[0];
  constexpr size_t kPiece = 256 * 1024;
  constexpr size_t kPieces = 64;  // 16 MiB: far more than the socket buffers hold
  std::string expected;
  for (size_t i = 0; i < kPieces; ++i) {
    const std::string piece = Pattern(kPiece).replace(0, 8, fmt::format("{:08}", i));
    ASSERT_TRUE(sink.Write(piece));
    expected += Chunk(piece);
  }
  // The transport hands what the kernel takes to the socket and then waits.
  size_t last = sink.Buffered();
  ASSERT_TRUE(Eventually([&] {
    const size_t now = sink.Buffered();
    const bool stable = now == last && now < kPiece * kPieces;
    last = now;
    if (!stable) std::this_thread::sleep_for(50ms);
    return stable;
  }));
  EXPECT_GT(sink.Buffered(), 8 * kMiB);
  auto drained = std::make_shared<Event>();
  sink.NotifyWhenDrained(kPiece, [drained] { drained->Set(); });
  EXPECT_FALSE(drained->WaitFor(100ms));
  client.ReadRawHeader();
  EXPECT_TRUE(client.ReadRaw(expected.size()) == expected) << "body differs";
  EXPECT_TRUE(drained->WaitFor());
  EXPECT_EQ(sink.Buffered(), 0u);
  sink.Finish();
  EXPECT_EQ(client.ReadRaw(5), "0\r\n\r\n");
}

TEST_F(StreamingTest, Http1DrainedCallbackRunsAtOnceWhenAlreadyBelowLowWater) {
  StartServer();
  Http1Client client(port());
  Request request = Http1Client::MakeRequest("/stream");
  client.Write(request);
  auto sinks = handler_.TakeSinks(1);
  ASSERT_EQ(sinks.size(), 1u);
  auto drained = std::make_shared<Event>();
  sinks[0]->NotifyWhenDrained(0, [drained] { drained->Set(); });
  EXPECT_TRUE(drained->WaitFor());
  sinks[0]->Finish();
}

TEST_F(StreamingTest, Http1PeerDisconnectClosesTheSink) {
  StartServer();
  Http1Client client(port());
  Request request = Http1Client::MakeRequest("/stream");
  client.Write(request);
  auto sinks = handler_.TakeSinks(1);
  ASSERT_EQ(sinks.size(), 1u);
  SinkEvents events = Watch(*sinks[0]);
  auto drained = std::make_shared<Event>();
  ASSERT_TRUE(sinks[0]->Write("x"));
  client.Close();  // the producer is quiet: the server's read-ahead notices
  ASSERT_TRUE(events.closed->WaitFor());
  EXPECT_TRUE(sinks[0]->Closed());
  EXPECT_FALSE(sinks[0]->Write("y"));
  EXPECT_EQ(sinks[0]->Buffered(), 0u);
  sinks[0]->NotifyWhenDrained(0, [drained] { drained->Set(); });  // peer gone: runs at once
  auto late = std::make_shared<Event>();
  sinks[0]->NotifyWhenClosed([late] { late->Set(); });  // already closed: runs at once
  EXPECT_TRUE(drained->WaitFor());
  EXPECT_TRUE(late->WaitFor());
  EXPECT_EQ(events.closed->count(), 1);
}

TEST_F(StreamingTest, Http10StreamIsUnframedAndEndsWithClose) {
  StartServer();
  Http1Client client(port());
  client.WriteRaw("POST /stream HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}");
  auto sinks = handler_.TakeSinks(1);
  ASSERT_EQ(sinks.size(), 1u);
  const std::string header = client.ReadRawHeader();
  EXPECT_EQ(header.find("ransfer-Encoding"), std::string::npos) << header;
  EXPECT_EQ(header.find("Content-Length"), std::string::npos) << header;
  ASSERT_TRUE(sinks[0]->Write("abc"));
  ASSERT_TRUE(sinks[0]->Write("def"));
  sinks[0]->Finish();
  EXPECT_EQ(client.ReadRaw(6), "abcdef");
  EXPECT_TRUE(client.ReadsCleanEof());
}

TEST_F(StreamingTest, StatusWithoutBodyGetsAClosedSink) {
  class NoContent : public RequestHandler {
   public:
    void Handle(HttpRequest, Responder respond) override {
      HttpResponse response;
      response.status = 204;
      response.stream_body = [this](std::shared_ptr<BodySink> sink) {
        closed = sink->Closed();
        called.Set();
      };
      respond(std::move(response));
    }
    bool closed = false;
    Event called;
  } handler;
  HttpServerOptions options;
  options.port = 0;
  HttpServer server(options, handler);
  ASSERT_TRUE(server.Start().ok());
  Http1Client client(server.port());
  Response response = client.RoundTrip(Http1Client::MakeRequest("/"));
  EXPECT_EQ(response.result_int(), 204);
  ASSERT_TRUE(handler.called.WaitFor());
  EXPECT_TRUE(handler.closed);
}

TEST_F(StreamingTest, StopClosesOpenStreamsOfBothProtocols) {
  StartServer();
  Http1Client h1(port());
  Request request = Http1Client::MakeRequest("/stream");
  h1.Write(request);
  H2TestClient h2;
  ASSERT_TRUE(h2.Connect(port()));
  h2.Submit("POST", "/stream", "{}");
  ASSERT_TRUE(h2.RunUntil([&] { return handler_.SinkCount() == 2; }));
  auto sinks = handler_.TakeSinks(2);
  ASSERT_EQ(sinks.size(), 2u);
  std::vector<SinkEvents> events;
  for (auto& sink : sinks) {
    events.push_back(Watch(*sink));
    ASSERT_TRUE(sink->Write("data"));
    sink->NotifyWhenDrained(0, [] {});  // pending callbacks must not keep anything alive
  }
  std::thread pump([&] { h2.RunUntilEof(); });
  const auto start = Clock::now();
  server_->Stop();
  const auto took = Clock::now() - start;
  pump.join();
  EXPECT_LT(took, 3s);
  for (size_t i = 0; i < sinks.size(); ++i) {
    EXPECT_TRUE(sinks[i]->Closed()) << i;
    EXPECT_TRUE(events[i].closed->IsSet()) << i;  // ran before Stop() returned
    EXPECT_FALSE(sinks[i]->Write("more")) << i;
  }
  EXPECT_TRUE(h2.goaway_received());
}

// ---- HTTP/2 ------------------------------------------------------------------------------

TEST_F(StreamingTest, Http2DataArrivesInOrderWhileOtherStreamsKeepWorking) {
  StartServer();
  H2TestClient client;
  ASSERT_TRUE(client.Connect(port()));
  const int32_t id = client.Submit("POST", "/stream", "{}");
  ASSERT_TRUE(client.RunUntil([&] { return handler_.SinkCount() == 1; }));
  auto sinks = handler_.TakeSinks(1);
  ASSERT_EQ(sinks.size(), 1u);
  BodySink& sink = *sinks[0];
  SinkEvents events = Watch(sink);
  std::string expected;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 10; ++i) {
      // Up to ~40 KiB per piece: crosses the 16 KiB frame size.
      const std::string piece = fmt::format("{}-{}:", round, i) + Pattern(i * 4000);
      ASSERT_TRUE(sink.Write(piece));
      expected += piece;
    }
    ASSERT_TRUE(client.RunUntil([&] { return client.response(id).body.size() >= expected.size(); }));
    EXPECT_TRUE(client.response(id).body == expected);
    // Another request on the same connection is answered while the stream is open.
    const int32_t other = client.Submit("POST", "/async/other", std::to_string(round));
    ASSERT_TRUE(client.RunUntil([&] { return client.response(other).closed; }));
    EXPECT_EQ(client.response(other).body, std::to_string(round));
    EXPECT_FALSE(client.response(id).closed);
  }
  const auto& response = client.response(id);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(Header(response, "content-length"), "");
  EXPECT_EQ(Header(response, "x-echo-target"), "/stream");
  sink.Finish();
  ASSERT_TRUE(client.RunUntilDone());
  EXPECT_EQ(response.close_error, 0u);
  EXPECT_TRUE(response.body == expected);
  ASSERT_TRUE(events.closed->WaitFor());
  EXPECT_TRUE(sink.Closed());
  EXPECT_FALSE(sink.Write("late"));
  EXPECT_TRUE(client.CloseGracefully());
}

TEST_F(StreamingTest, Http2FlowControlWindowHoldsBytesInTheSinkUntilTheClientReads) {
  StartServer();
  H2TestClient client;
  ASSERT_TRUE(client.Connect(port(), 65535));  // stream and connection windows: 64 KiB - 1
  const int32_t id = client.Submit("POST", "/stream", "{}");
  ASSERT_TRUE(client.RunUntil([&] { return handler_.SinkCount() == 1; }));
  auto sinks = handler_.TakeSinks(1);
  ASSERT_EQ(sinks.size(), 1u);
  BodySink& sink = *sinks[0];
  const std::string body = Pattern(kMiB);
  for (size_t offset = 0; offset < body.size(); offset += 64 * 1024)
    ASSERT_TRUE(sink.Write(body.substr(offset, 64 * 1024)));
  // Without WINDOW_UPDATEs (we do not read), nghttp2 takes exactly one window's worth.
  ASSERT_TRUE(Eventually([&] { return sink.Buffered() == kMiB - 65535; }))
      << sink.Buffered();
  auto replaced = std::make_shared<Event>();
  auto drained = std::make_shared<Event>();
  sink.NotifyWhenDrained(0, [replaced] { replaced->Set(); });
  sink.NotifyWhenDrained(0, [drained] { drained->Set(); });  // replaces the first
  EXPECT_FALSE(drained->WaitFor(100ms));
  EXPECT_EQ(sink.Buffered(), kMiB - 65535);
  // Reading sends WINDOW_UPDATEs; the rest flows and the callback fires.
  ASSERT_TRUE(client.RunUntil([&] { return client.response(id).body.size() == kMiB; }));
  EXPECT_TRUE(client.response(id).body == body);
  EXPECT_TRUE(drained->WaitFor());
  EXPECT_FALSE(replaced->IsSet());
  EXPECT_EQ(sink.Buffered(), 0u);
  sink.Finish();
  ASSERT_TRUE(client.RunUntilDone());
  EXPECT_EQ(client.response(id).close_error, 0u);
}

TEST_F(StreamingTest, Http2PeerThatStopsReadingTcpIsClosedAfterTheIdleTimeout) {
  HttpServerOptions options;
  options.idle_timeout_seconds = 1;
  StartServer(options);
  H2TestClient client;
  ASSERT_TRUE(client.Connect(port(), 256 << 20));  // flow control lets everything through
  client.Submit("POST", "/stream", "{}");
  ASSERT_TRUE(client.RunUntil([&] { return handler_.SinkCount() == 1; }));
  auto sinks = handler_.TakeSinks(1);
  ASSERT_EQ(sinks.size(), 1u);
  SinkEvents events = Watch(*sinks[0]);
  // We stop reading: the server's socket write cannot complete. (Slow builds may see the
  // close before all is queued: Write() then fails.)
  const std::string piece = Pattern(kMiB);
  for (int i = 0; i < 32 && sinks[0]->Write(piece); ++i) {
  }
  ASSERT_TRUE(events.closed->WaitFor());
  EXPECT_TRUE(sinks[0]->Closed());
}

TEST_F(StreamingTest, Http1PeerThatStopsReadingIsClosedAfterTheIdleTimeout) {
  HttpServerOptions options;
  options.idle_timeout_seconds = 1;
  StartServer(options);
  Http1Client client(port());
  client.SetReceiveBuffer(16 * 1024);
  Request request = Http1Client::MakeRequest("/stream");
  client.Write(request);
  auto sinks = handler_.TakeSinks(1);
  ASSERT_EQ(sinks.size(), 1u);
  SinkEvents events = Watch(*sinks[0]);
  const std::string piece = Pattern(kMiB);
  for (int i = 0; i < 32 && sinks[0]->Write(piece); ++i) {
  }
  ASSERT_TRUE(events.closed->WaitFor());
  EXPECT_TRUE(sinks[0]->Closed());
}

TEST_F(StreamingTest, Http2ResetStreamClosesTheSink) {
  StartServer();
  H2TestClient client;
  ASSERT_TRUE(client.Connect(port()));
  const int32_t id = client.Submit("POST", "/stream", "{}");
  ASSERT_TRUE(client.RunUntil([&] { return handler_.SinkCount() == 1; }));
  auto sinks = handler_.TakeSinks(1);
  ASSERT_EQ(sinks.size(), 1u);
  SinkEvents events = Watch(*sinks[0]);
  ASSERT_TRUE(sinks[0]->Write("x"));
  ASSERT_TRUE(client.RunUntil([&] { return client.response(id).body == "x"; }));
  client.Cancel(id);
  ASSERT_TRUE(client.RunUntil([&] { return events.closed->IsSet(); }));
  EXPECT_TRUE(sinks[0]->Closed());
  EXPECT_FALSE(sinks[0]->Write("y"));
  // The connection still works.
  const int32_t next = client.Submit("POST", "/next", "n");
  ASSERT_TRUE(client.RunUntil([&] { return client.response(next).closed; }));
  EXPECT_EQ(client.response(next).body, "n");
}

TEST_F(StreamingTest, Http2ConnectionLossClosesEverySinkOnIt) {
  StartServer();
  auto client = std::make_unique<H2TestClient>();
  ASSERT_TRUE(client->Connect(port()));
  for (int i = 0; i < 3; ++i) client->Submit("POST", "/stream", "{}");
  ASSERT_TRUE(client->RunUntil([&] { return handler_.SinkCount() == 3; }));
  auto sinks = handler_.TakeSinks(3);
  ASSERT_EQ(sinks.size(), 3u);
  std::vector<SinkEvents> events;
  for (auto& sink : sinks) events.push_back(Watch(*sink));
  client.reset();  // closes the socket
  for (auto& e : events) EXPECT_TRUE(e.closed->WaitFor());
  for (auto& sink : sinks) EXPECT_TRUE(sink->Closed());
}

// Write() to bytes at the client, one small event at a time (what SubscribeToShard's
// propagation latency is made of on the transport side). Prints p50/p99.
TEST_F(StreamingTest, PushLatencyOfSmallEvents) {
  StartServer();
  constexpr int kEvents = 1000;
  const auto report = [](const char* what, std::vector<double>& us) {
    std::sort(us.begin(), us.end());
    std::printf("%s push latency over %zu events: p50 %.0f us, p99 %.0f us\n", what, us.size(),
                us[us.size() / 2], us[us.size() * 99 / 100]);
    EXPECT_LT(us[us.size() / 2], 20'000.0);  // generous: the machine is shared
  };
  {
    Http1Client client(port());
    Request request = Http1Client::MakeRequest("/stream");
    client.Write(request);
    auto sinks = handler_.TakeSinks(1);
    ASSERT_EQ(sinks.size(), 1u);
    client.ReadRawHeader();
    std::vector<double> us;
    const std::string event(200, 'e');
    for (int i = 0; i < kEvents; ++i) {
      const auto start = Clock::now();
      ASSERT_TRUE(sinks[0]->Write(event));
      ASSERT_EQ(client.ReadRaw(Chunk(event).size()), Chunk(event));
      us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    }
    report("HTTP/1.1", us);
    sinks[0]->Finish();
  }
  H2TestClient client;
  ASSERT_TRUE(client.Connect(port(), 16 << 20));
  const int32_t id = client.Submit("POST", "/stream", "{}");
  ASSERT_TRUE(client.RunUntil([&] { return handler_.SinkCount() == 1; }));
  auto sinks = handler_.TakeSinks(1);
  ASSERT_EQ(sinks.size(), 1u);
  std::vector<double> us;
  const std::string event(200, 'e');
  for (int i = 0; i < kEvents; ++i) {
    const auto start = Clock::now();
    ASSERT_TRUE(sinks[0]->Write(event));
    const size_t want = static_cast<size_t>(i + 1) * event.size();
    ASSERT_TRUE(client.RunUntil([&] { return client.response(id).body.size() >= want; }));
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  report("HTTP/2", us);
  sinks[0]->Finish();
  ASSERT_TRUE(client.RunUntilDone());
}

// Many open streams cost no threads: 1,000 streams on 10 HTTP/2 connections plus 100
// HTTP/1.1 connections, all fed from this one thread.
TEST_F(StreamingTest, ThousandsOfConcurrentStreamsAreCheap) {
  StartServer();
  constexpr int kH2Connections = 10;
  constexpr int kStreamsPerConnection = 100;
  constexpr int kH1Connections = 100;
  constexpr int kTotal = kH2Connections * kStreamsPerConnection + kH1Connections;
  const auto start = Clock::now();
  std::vector<std::unique_ptr<H2TestClient>> h2;
  std::vector<std::vector<int32_t>> ids(kH2Connections);
  for (int c = 0; c < kH2Connections; ++c) {
    h2.push_back(std::make_unique<H2TestClient>());
    ASSERT_TRUE(h2.back()->Connect(port()));
    for (int s = 0; s < kStreamsPerConnection; ++s)
      ids[c].push_back(h2.back()->Submit("POST", "/stream", "{}"));
    const size_t want = static_cast<size_t>((c + 1) * kStreamsPerConnection);
    ASSERT_TRUE(h2.back()->RunUntil([&] { return handler_.SinkCount() == want; }));
  }
  std::vector<std::unique_ptr<Http1Client>> h1;
  for (int c = 0; c < kH1Connections; ++c) {
    h1.push_back(std::make_unique<Http1Client>(port()));
    Request request = Http1Client::MakeRequest("/stream");
    h1.back()->Write(request);
  }
  auto sinks = handler_.TakeSinks(kTotal);
  ASSERT_EQ(sinks.size(), static_cast<size_t>(kTotal));
  auto closed = std::make_shared<std::atomic<int>>(0);
  for (auto& sink : sinks) {
    sink->NotifyWhenClosed([closed] { ++*closed; });
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(sink->Write("event-" + std::to_string(i) + ";"));
    sink->Finish();
  }
  const std::string expected = "event-0;event-1;event-2;event-3;event-4;";
  for (int c = 0; c < kH2Connections; ++c) {
    ASSERT_TRUE(h2[c]->RunUntilDone());
    for (int32_t id : ids[c]) EXPECT_EQ(h2[c]->response(id).body, expected);
  }
  for (auto& client : h1) EXPECT_EQ(client->Read().body(), expected);
  ASSERT_TRUE(Eventually([&] { return closed->load() == kTotal; }));
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  std::printf("%d concurrent streaming responses opened, fed and finished in %lld ms\n", kTotal,
              static_cast<long long>(took.count()));
}

}  // namespace
}  // namespace shoal::api
