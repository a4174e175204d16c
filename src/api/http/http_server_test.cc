#include "api/http/http_server.h"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "api/http/http_test_util.h"

namespace shoal::api {
namespace {

using namespace http_test;  // NOLINT: test helpers


// ---- lifecycle ---------------------------------------------------------------------------

TEST_F(HttpServerTest, StartReportsBindFailureAndStopIsIdempotent) {
  StartServer();
  HttpServerOptions options;
  options.port = port();  // already listening
  HttpServer second(options, handler_);
  const Status<HttpErrc> status = second.Start();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), HttpErrc::kBindFailed);
  EXPECT_NE(status.message().find("bind"), std::string::npos) << status.message();
  second.Stop();  // never started: a no-op
  server_->Stop();
  server_->Stop();
}

TEST_F(HttpServerTest, StartRejectsInvalidAddress) {
  HttpServerOptions options;
  options.host = "not an address";
  options.port = 0;
  HttpServer server(options, handler_);
  const Status<HttpErrc> status = server.Start();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), HttpErrc::kInvalidAddress);
}

// ---- HTTP/1.1 ----------------------------------------------------------------------------

TEST_F(HttpServerTest, Http1KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  Http1Client client(port());
  for (int i = 0; i < 6; ++i) {
    const std::string target = (i % 2 ? "/async/" : "/sync/") + std::to_string(i);
    const std::string body = "{\"n\":" + std::to_string(i) + "}";
    Response response = client.RoundTrip(Http1Client::MakeRequest(target, body));
    EXPECT_EQ(response.result_int(), 200);
    EXPECT_EQ(response.body(), body);
    EXPECT_EQ(Header(response, "x-echo-target"), target);
    EXPECT_EQ(Header(response, "x-echo-method"), "POST");
    EXPECT_EQ(Header(response, "x-echo-version"), "1.1");
    EXPECT_EQ(Header(response, "x-echo-host"), "localhost");
    EXPECT_EQ(Header(response, "content-length"), std::to_string(body.size()));
    EXPECT_TRUE(response.keep_alive());
  }
}

TEST_F(HttpServerTest, Http1PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  Http1Client client(port());
  std::string wire;
  const std::vector<std::string> targets = {"/async/a", "/b", "/async/c", "/d", "/async/e"};
  for (const auto& target : targets) {
    Request request = Http1Client::MakeRequest(target, target);
    std::ostringstream os;
    os << request;
    wire += os.str();
  }
  client.WriteRaw(wire);  // all requests in one write
  for (const auto& target : targets) {
    Response response = client.Read();
    EXPECT_EQ(Header(response, "x-echo-target"), target);
    EXPECT_EQ(response.body(), target);
  }
}

TEST_F(HttpServerTest, Http1ExpectContinueGets100BeforeTheBody) {
  StartServer();
  Http1Client client(port());
  client.WriteRaw(
      "POST /async/expect HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
      "Expect: 100-continue\r\n\r\n");
  Response interim = client.Read();
  EXPECT_EQ(interim.result_int(), 100);
  client.WriteRaw("hello");
  Response response = client.Read();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "hello");
}

TEST_F(HttpServerTest, Http1SixteenMiBBodyWithExpectContinueIsEchoed) {
  StartServer();  // default limit: 16 MiB
  Http1Client client(port());
  const std::string body = Pattern(16 * kMiB);
  Request request = Http1Client::MakeRequest("/async/big", body);
  request.set(bhttp::field::expect, "100-continue");
  bhttp::request_serializer<bhttp::string_body> serializer(request);
  ASSERT_FALSE(client.WriteHeader(serializer));
  EXPECT_EQ(client.Read().result_int(), 100);
  const error_code ec = client.WriteRest(serializer);
  ASSERT_FALSE(ec) << ec.message();
  Response response = client.Read();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_TRUE(response.body() == body) << "echoed body differs";
  // The connection is still usable.
  EXPECT_EQ(client.RoundTrip(Http1Client::MakeRequest("/after")).result_int(), 200);
}

TEST_F(HttpServerTest, Http1BodyTooLargeWithExpectGetsHandlerAnswerWithout100ThenClose) {
  StartServer();
  Http1Client client(port());
  client.WriteRaw("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: " +
                  std::to_string(16 * kMiB + 1) + "\r\nExpect: 100-continue\r\n\r\n");
  Response response = client.Read();
  EXPECT_EQ(response.result_int(), 413);  // not 100
  EXPECT_EQ(response.body(), "too large");
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(Header(response, "connection"), "close");
  EXPECT_TRUE(client.ReadsCleanEof());
}

TEST_F(HttpServerTest, Http1BodyTooLargeSentInFullStillGetsTheAnswerAndACleanClose) {
  StartServer();
  Http1Client client(port());
  // The client sends the whole oversized body before reading, as naive clients do.
  Request request = Http1Client::MakeRequest("/", Pattern(16 * kMiB + 1));
  client.Write(request);
  Response response = client.Read();
  EXPECT_EQ(response.result_int(), 413);
  EXPECT_EQ(response.body(), "too large");
  EXPECT_EQ(Header(response, "connection"), "close");
  EXPECT_TRUE(client.ReadsCleanEof());
}

TEST_F(HttpServerTest, Http1ChunkedBodiesAreReadAndLimited) {
  HttpServerOptions options;
  options.max_body_bytes = 64 * 1024;
  StartServer(options);
  {
    Http1Client client(port());
    Request request = Http1Client::MakeRequest("/chunked", Pattern(60 * 1024));
    request.chunked(true);
    Response response = client.RoundTrip(request);
    EXPECT_EQ(response.result_int(), 200);
    EXPECT_EQ(response.body(), Pattern(60 * 1024));
  }
  Http1Client client(port());
  Request request = Http1Client::MakeRequest("/chunked", Pattern(100 * 1024));
  request.chunked(true);
  Response response = client.RoundTrip(request);
  EXPECT_EQ(response.result_int(), 413);
  EXPECT_EQ(Header(response, "connection"), "close");
  EXPECT_TRUE(client.ReadsCleanEof());
}

TEST_F(HttpServerTest, Http1MalformedRequestGets400AndClose) {
  StartServer();
  Http1Client client(port());
  client.WriteRaw("GARBAGE\r\n\r\n");
  Response response = client.Read();
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(client.ReadsCleanEof());

  Http1Client bad_header(port());
  bad_header.WriteRaw("POST / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n");
  EXPECT_EQ(bad_header.Read().result_int(), 400);
  EXPECT_TRUE(bad_header.ReadsCleanEof());
}

TEST_F(HttpServerTest, Http1OversizedHeaderGets431) {
  StartServer();
  Http1Client client(port());
  client.WriteRaw("POST / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(70 * 1024, 'x') +
                  "\r\n\r\n");
  EXPECT_EQ(client.Read().result_int(), 431);
  EXPECT_TRUE(client.ReadsCleanEof());
}

TEST_F(HttpServerTest, Http1CloseConnectionIsHonoured) {
  StartServer();
  Http1Client client(port());
  Response response = client.RoundTrip(Http1Client::MakeRequest("/close/async"));
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(Header(response, "connection"), "close");
  EXPECT_TRUE(client.ReadsCleanEof());
}

TEST_F(HttpServerTest, Http10WithoutKeepAliveIsClosedAfterTheResponse) {
  StartServer();
  Http1Client client(port());
  client.WriteRaw("POST /x HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}");
  Response response = client.Read();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "{}");
  EXPECT_TRUE(client.ReadsCleanEof());
}

TEST_F(HttpServerTest, Http1HeaderNamesAreEmittedAsGivenAndTransportHeadersReplaced) {
  StartServer();
  Http1Client client(port());
  Request request = Http1Client::MakeRequest("/hop", "abc");
  client.Write(request);
  const std::string header = client.ReadRawHeader();
  EXPECT_NE(header.find("\r\nx-amzn-RequestId: req-1\r\n"), std::string::npos) << header;
  EXPECT_NE(header.find("\r\nX-Mixed-Case: v\r\n"), std::string::npos) << header;
  EXPECT_NE(header.find("\r\nContent-Length: 3\r\n"), std::string::npos) << header;
  EXPECT_EQ(header.find("ransfer-"), std::string::npos) << header;
  EXPECT_EQ(header.find("pgrade"), std::string::npos) << header;
  EXPECT_EQ(header.find("eep-alive"), std::string::npos) << header;
  EXPECT_EQ(header.find("999"), std::string::npos) << header;
}

TEST_F(HttpServerTest, Http1IdleConnectionIsClosed) {
  HttpServerOptions options;
  options.idle_timeout_seconds = 1;
  StartServer(options);
  Http1Client client(port());
  EXPECT_EQ(client.RoundTrip(Http1Client::MakeRequest("/")).result_int(), 200);
  EXPECT_TRUE(client.ReadsCleanEof());  // bounded by SO_RCVTIMEO
}

// ---- Responder semantics -----------------------------------------------------------------

TEST_F(HttpServerTest, DroppedResponderYields500AndSecondCallIsIgnored) {
  expected_warnings_ = 2;
  StartServer();
  Http1Client client(port());
  EXPECT_EQ(client.RoundTrip(Http1Client::MakeRequest("/drop")).result_int(), 500);
  Response twice = client.RoundTrip(Http1Client::MakeRequest("/twice"));
  EXPECT_EQ(twice.result_int(), 200);
  Response next = client.RoundTrip(Http1Client::MakeRequest("/next", "n"));
  EXPECT_EQ(Header(next, "x-echo-target"), "/next");  // not a stray second answer
}

TEST_F(HttpServerTest, ResponderMayBeCalledAfterTheServerIsGone) {
  StartServer();
  Http1Client h1(port());
  Request request = Http1Client::MakeRequest("/hold/h1");
  h1.Write(request);
  H2TestClient h2;
  ASSERT_TRUE(h2.Connect(port()));
  h2.Submit("POST", "/hold/h2", "{}");
  std::thread pump([&] { h2.RunUntilEof(); });
  std::vector<Responder> held = handler_.TakeHeld(2);
  ASSERT_EQ(held.size(), 2u);
  server_.reset();  // Stop(): both connections close with answers owed
  pump.join();
  EXPECT_TRUE(h2.goaway_received());
  for (auto& respond : held) respond(HttpResponse{});  // dropped, no crash
  held.clear();
}

TEST_F(HttpServerTest, ResponderForACancelledHttp2StreamIsDropped) {
  StartServer();
  H2TestClient client;
  ASSERT_TRUE(client.Connect(port()));
  const int32_t held_id = client.Submit("POST", "/hold", "{}");
  ASSERT_TRUE(client.RunUntil([&] { return handler_.HeldCount() == 1; }));
  std::vector<Responder> held = handler_.TakeHeld(1);
  client.Cancel(held_id);
  ASSERT_TRUE(client.RunUntilDone());  // our RST_STREAM closed the stream
  held[0](HttpResponse{});            // the stream is gone: dropped
  const int32_t id = client.Submit("POST", "/after", "x");
  ASSERT_TRUE(client.RunUntilDone());
  EXPECT_EQ(client.response(id).status, 200);
  EXPECT_EQ(client.response(id).body, "x");
}

// ---- HTTP/2 ------------------------------------------------------------------------------

TEST_F(HttpServerTest, Http2ServesConcurrentStreamsWithPseudoHeaders) {
  StartServer();
  H2TestClient client;
  ASSERT_TRUE(client.Connect(port()));
  std::vector<std::pair<int32_t, std::string>> streams;
  for (int i = 0; i < 20; ++i) {
    const std::string target = (i % 2 ? "/async/" : "/sync/") + std::to_string(i);
    // Every other request omits content-length: END_STREAM alone ends the body.
    const int32_t id = client.Submit("POST", target, "body-" + std::to_string(i), i % 4 < 2,
                                     {{"x-test", "t" + std::to_string(i)}});
    ASSERT_GT(id, 0);
    streams.emplace_back(id, target);
  }
  ASSERT_TRUE(client.RunUntilDone());
  for (size_t i = 0; i < streams.size(); ++i) {
    const auto& response = client.response(streams[i].first);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.close_error, 0u);
    EXPECT_EQ(response.body, "body-" + std::to_string(i));
    EXPECT_EQ(Header(response, "x-echo-target"), streams[i].second);
    EXPECT_EQ(Header(response, "x-echo-method"), "POST");
    EXPECT_EQ(Header(response, "x-echo-version"), "2");
    EXPECT_EQ(Header(response, "x-echo-authority"), "localhost");
    EXPECT_EQ(Header(response, "x-echo-scheme"), "http");
    EXPECT_EQ(Header(response, "x-echo-test"), "t" + std::to_string(i));
  }
  EXPECT_TRUE(client.CloseGracefully());
}

TEST_F(HttpServerTest, Http2LargeBodiesRespectFlowControl) {
  StartServer();
  H2TestClient client;
  // Our receive window stays at the protocol default (64 KiB), so the server must wait for
  // our WINDOW_UPDATEs while it sends the echoes.
  ASSERT_TRUE(client.Connect(port(), 65535));
  const std::string one = Pattern(1 * kMiB + 17);
  const std::string sixteen = Pattern(16 * kMiB);
  const int32_t a = client.Submit("POST", "/async/one", one);
  const int32_t b = client.Submit("POST", "/sixteen", sixteen, /*content_length=*/false);
  ASSERT_TRUE(client.RunUntilDone(60s));
  EXPECT_EQ(client.response(a).status, 200);
  EXPECT_TRUE(client.response(a).body == one);
  EXPECT_EQ(client.response(b).status, 200);
  EXPECT_TRUE(client.response(b).body == sixteen);
  EXPECT_EQ(Header(client.response(b), "content-length"), std::to_string(sixteen.size()));
}

TEST_F(HttpServerTest, Http2ResponsesCarryNoConnectionSpecificHeaders) {
  StartServer();
  H2TestClient client;
  ASSERT_TRUE(client.Connect(port()));
  const int32_t id = client.Submit("POST", "/hop", "abc");
  ASSERT_TRUE(client.RunUntilDone());
  const auto& response = client.response(id);
  EXPECT_EQ(response.status, 200);
  for (const auto& [name, value] : response.headers) {
    EXPECT_NE(name, "connection");
    EXPECT_NE(name, "keep-alive");
    EXPECT_NE(name, "transfer-encoding");
    EXPECT_NE(name, "upgrade");
    for (char c : name) EXPECT_FALSE(c >= 'A' && c <= 'Z') << name;
  }
  EXPECT_EQ(Header(response, "x-amzn-requestid"), "req-1");
  EXPECT_EQ(Header(response, "x-mixed-case"), "v");
  EXPECT_EQ(Header(response, "content-length"), "3");
}

TEST_F(HttpServerTest, Http2BodyTooLargeGetsTheHandlerAnswer) {
  HttpServerOptions options;
  options.max_body_bytes = 64 * 1024;
  StartServer(options);
  H2TestClient client;
  ASSERT_TRUE(client.Connect(port()));
  // Declared too large (answered at the header), and undeclared (answered mid-body).
  const int32_t declared = client.Submit("POST", "/async/d", Pattern(kMiB), true);
  const int32_t undeclared = client.Submit("POST", "/async/u", Pattern(kMiB), false);
  ASSERT_TRUE(client.RunUntilDone());
  for (int32_t id : {declared, undeclared}) {
    EXPECT_EQ(client.response(id).status, 413);
    EXPECT_EQ(client.response(id).body, "too large");
    EXPECT_EQ(client.response(id).close_error, 0u);  // complete answer, then NO_ERROR reset
  }
  // The connection stays usable.
  const int32_t ok = client.Submit("POST", "/ok", Pattern(64 * 1024));
  ASSERT_TRUE(client.RunUntilDone());
  EXPECT_EQ(client.response(ok).status, 200);
  EXPECT_EQ(client.response(ok).body, Pattern(64 * 1024));
}

TEST_F(HttpServerTest, Http2CloseConnectionSendsGoawayAfterTheResponse) {
  StartServer();
  H2TestClient client;
  ASSERT_TRUE(client.Connect(port()));
  const int32_t id = client.Submit("POST", "/async/close", "bye");
  ASSERT_TRUE(client.RunUntilDone());
  EXPECT_EQ(client.response(id).status, 200);
  EXPECT_EQ(client.response(id).body, "bye");
  ASSERT_TRUE(client.RunUntilEof());
  EXPECT_TRUE(client.goaway_received());
  EXPECT_FALSE(client.reset_by_peer());
}

TEST_F(HttpServerTest, Http2PingIsAcknowledged) {
  StartServer();
  H2TestClient client;
  ASSERT_TRUE(client.Connect(port()));
  client.Ping();
  EXPECT_TRUE(client.RunUntilPingAck());
}

TEST_F(HttpServerTest, Http2IdleSessionGetsGoaway) {
  HttpServerOptions options;
  options.idle_timeout_seconds = 1;
  StartServer(options);
  H2TestClient client;
  ASSERT_TRUE(client.Connect(port()));
  const int32_t id = client.Submit("POST", "/", "{}");
  ASSERT_TRUE(client.RunUntilDone());
  EXPECT_EQ(client.response(id).status, 200);
  ASSERT_TRUE(client.RunUntilEof());  // bounded wait for the server's idle close
  EXPECT_TRUE(client.goaway_received());
  EXPECT_FALSE(client.reset_by_peer());
}

TEST_F(HttpServerTest, Http2StopSendsGoaway) {
  StartServer();
  H2TestClient client;
  ASSERT_TRUE(client.Connect(port()));
  const int32_t id = client.Submit("POST", "/", "{}");
  ASSERT_TRUE(client.RunUntilDone());
  EXPECT_EQ(client.response(id).status, 200);
  std::thread pump([&] { client.RunUntilEof(); });
  server_->Stop();
  pump.join();
  EXPECT_TRUE(client.goaway_received());
  EXPECT_TRUE(client.eof());
}

// The JS SDK v3 pattern: one connection per request, closed by the client afterwards.
TEST_F(HttpServerTest, Http2ConnectionPerRequestIsCheapAndQuiet) {
  StartServer();
  for (int i = 0; i < 50; ++i) {
    H2TestClient client;
    ASSERT_TRUE(client.Connect(port()));
    const int32_t id = client.Submit("POST", i % 2 ? "/async" : "/", std::to_string(i));
    ASSERT_TRUE(client.RunUntilDone());
    EXPECT_EQ(client.response(id).body, std::to_string(i));
    EXPECT_TRUE(client.CloseGracefully());
  }
  // TearDown checks that nothing at warn or above was logged.
}

TEST_F(HttpServerTest, Http1AndHttp2ShareThePort) {
  StartServer();
  Http1Client h1(port());
  H2TestClient h2;
  ASSERT_TRUE(h2.Connect(port()));
  const int32_t id = h2.Submit("POST", "/two", "2");
  EXPECT_EQ(h1.RoundTrip(Http1Client::MakeRequest("/one", "1")).body(), "1");
  ASSERT_TRUE(h2.RunUntilDone());
  EXPECT_EQ(h2.response(id).body, "2");
}

}  // namespace
}  // namespace shoal::api
