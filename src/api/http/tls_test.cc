// HTTPS on the transport: TLS sniffed on the main port, ALPN h2 / http/1.1, HTTP/2 over TLS
// without ALPN, the TLS-only port, and streaming bodies over TLS.

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <gtest/gtest.h>

#include "api/http/http_test_util.h"
#include "api/http/tls_context.h"

namespace shoal::api {
namespace {

using namespace http_test;  // NOLINT: test helpers
namespace ssl = boost::asio::ssl;

// One certificate for the whole suite (generating one takes a few milliseconds).
const PemPair& TestCert() {
  static const PemPair pem = [] {
    auto generated = GenerateSelfSignedCertificate(SystemClock::Get().NowMs());
    EXPECT_TRUE(generated.ok()) << generated.message();
    return generated.ok() ? *generated : PemPair{};
  }();
  return pem;
}

// HTTP/1.1 over TLS, trusting only `ca_pem` and checking the name "localhost". Every
// operation is bounded like Http1Client's.
class TlsHttp1Client {
 public:
  TlsHttp1Client(uint16_t port, const std::string& ca_pem, bool offer_alpn)
      : context_(ssl::context::tls_client), stream_(io_, context_) {
    context_.add_certificate_authority(asio::buffer(ca_pem));
    stream_.set_verify_mode(ssl::verify_peer);  // the SSL object exists already
    stream_.set_verify_callback(ssl::host_name_verification("localhost"));
    SSL_set_tlsext_host_name(stream_.native_handle(), "localhost");
    if (offer_alpn) {
      static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
      SSL_set_alpn_protos(stream_.native_handle(), kAlpn, sizeof(kAlpn));
    }
    stream_.next_layer().connect(tcp::endpoint(asio::ip::address_v4::loopback(), port));
    handshake_error_ = Run([&](auto done) {
      stream_.async_handshake(ssl::stream_base::client, [done](error_code ec) mutable {
        done(ec, 0);
      });
    });
  }

  error_code handshake_error() const { return handshake_error_; }
  std::string alpn() {
    const unsigned char* data = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(stream_.native_handle(), &data, &len);
    return std::string(reinterpret_cast<const char*>(data), len);
  }

  Response RoundTrip(Request request) {
    error_code ec = Run([&](auto done) { bhttp::async_write(stream_, request, done); });
    EXPECT_FALSE(ec) << ec.message();
    return Read();
  }
  void Write(Request request) {
    const error_code ec = Run([&](auto done) { bhttp::async_write(stream_, request, done); });
    EXPECT_FALSE(ec) << ec.message();
  }
  Response Read() {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * kMiB);
    const error_code ec =
        Run([&](auto done) { bhttp::async_read(stream_, buffer_, parser, done); });
    EXPECT_FALSE(ec) << ec.message();
    return parser.release();
  }

 private:
  template <class Initiate>
  error_code Run(Initiate initiate) {
    error_code result = asio::error::timed_out;
    bool finished = false;
    initiate([&](error_code ec, size_t) {
      result = ec;
      finished = true;
    });
    io_.restart();
    io_.run_for(20s);
    if (!finished) {
      error_code ignored;
      stream_.next_layer().close(ignored);
      io_.restart();
      io_.run();
      result = asio::error::timed_out;
    }
    return result;
  }

  asio::io_context io_;
  ssl::context context_;
  ssl::stream<tcp::socket> stream_;
  beast::flat_buffer buffer_;
  error_code handshake_error_;
};

class TlsServerTest : public HttpServerTest {
 protected:
  void StartTlsServer(std::optional<uint16_t> tls_port = std::nullopt) {
    HttpServerOptions options;
    options.tls_cert_pem = TestCert().cert_pem;
    options.tls_key_pem = TestCert().key_pem;
    options.tls_port = tls_port;
    StartServer(options);
  }
};

TEST_F(TlsServerTest, Http1OverTlsWithAlpnOnTheMainPort) {
  StartTlsServer();
  TlsHttp1Client client(port(), TestCert().cert_pem, /*offer_alpn=*/true);
  ASSERT_FALSE(client.handshake_error()) << client.handshake_error().message();
  EXPECT_EQ(client.alpn(), "http/1.1");
  for (int i = 0; i < 3; ++i) {  // keep-alive
    const std::string body = "tls-" + std::to_string(i);
    Response response = client.RoundTrip(Http1Client::MakeRequest("/async/x", body));
    EXPECT_EQ(response.result_int(), 200);
    EXPECT_EQ(response.body(), body);
    EXPECT_EQ(Header(response, "x-echo-version"), "1.1");
  }
}

TEST_F(TlsServerTest, Http1OverTlsWithoutAlpnIsSniffed) {
  StartTlsServer();
  TlsHttp1Client client(port(), TestCert().cert_pem, /*offer_alpn=*/false);
  ASSERT_FALSE(client.handshake_error()) << client.handshake_error().message();
  EXPECT_EQ(client.alpn(), "");
  Response response = client.RoundTrip(Http1Client::MakeRequest("/plain", "p"));
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "p");
}

TEST_F(TlsServerTest, Http2OverTlsWithAlpn) {
  StartTlsServer();
  H2TestClient client;
  ASSERT_TRUE(client.ConnectTls(port(), TestCert().cert_pem, /*offer_alpn=*/true));
  EXPECT_EQ(client.alpn(), "h2");
  std::vector<int32_t> ids;
  for (int i = 0; i < 10; ++i)
    ids.push_back(client.Submit("POST", i % 2 ? "/async" : "/sync", "b" + std::to_string(i)));
  ASSERT_TRUE(client.RunUntilDone());
  for (int i = 0; i < 10; ++i) {
    const auto& response = client.response(ids[i]);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "b" + std::to_string(i));
    EXPECT_EQ(Header(response, "x-echo-version"), "2");
    EXPECT_EQ(Header(response, "x-echo-scheme"), "https");
  }
  EXPECT_TRUE(client.CloseGracefully());
}

// Older Java clients: TLS without ALPN, then the HTTP/2 preface.
TEST_F(TlsServerTest, Http2OverTlsWithoutAlpnIsSniffedByItsPreface) {
  StartTlsServer();
  H2TestClient client;
  ASSERT_TRUE(client.ConnectTls(port(), TestCert().cert_pem, /*offer_alpn=*/false));
  EXPECT_EQ(client.alpn(), "");
  const int32_t id = client.Submit("POST", "/no-alpn", "x");
  ASSERT_TRUE(client.RunUntilDone());
  EXPECT_EQ(client.response(id).status, 200);
  EXPECT_EQ(client.response(id).body, "x");
  EXPECT_EQ(Header(client.response(id), "x-echo-version"), "2");
}

TEST_F(TlsServerTest, LargeBodiesBothWaysOverTls) {
  StartTlsServer();
  const std::string body = Pattern(4 * kMiB + 3);
  TlsHttp1Client h1(port(), TestCert().cert_pem, true);
  ASSERT_FALSE(h1.handshake_error());
  EXPECT_TRUE(h1.RoundTrip(Http1Client::MakeRequest("/big", body)).body() == body);
  H2TestClient h2;
  ASSERT_TRUE(h2.ConnectTls(port(), TestCert().cert_pem, true));
  const int32_t id = h2.Submit("POST", "/big", body);
  ASSERT_TRUE(h2.RunUntilDone(60s));
  EXPECT_TRUE(h2.response(id).body == body);
}

TEST_F(TlsServerTest, CleartextStillWorksOnTheMainPort) {
  StartTlsServer();
  Http1Client h1(port());
  EXPECT_EQ(h1.RoundTrip(Http1Client::MakeRequest("/clear", "c")).body(), "c");
  H2TestClient h2;
  ASSERT_TRUE(h2.Connect(port()));
  const int32_t id = h2.Submit("POST", "/clear2", "d");
  ASSERT_TRUE(h2.RunUntilDone());
  EXPECT_EQ(h2.response(id).body, "d");
  EXPECT_EQ(Header(h2.response(id), "x-echo-scheme"), "http");
}

TEST_F(TlsServerTest, TlsOnlyPortServesTlsAndClosesCleartext) {
  StartTlsServer(/*tls_port=*/0);
  const uint16_t tls_port = server_->tls_port();
  ASSERT_NE(tls_port, 0);
  ASSERT_NE(tls_port, port());
  TlsHttp1Client tls(tls_port, TestCert().cert_pem, true);
  ASSERT_FALSE(tls.handshake_error()) << tls.handshake_error().message();
  EXPECT_EQ(tls.RoundTrip(Http1Client::MakeRequest("/t", "t")).body(), "t");
  H2TestClient h2;
  ASSERT_TRUE(h2.ConnectTls(tls_port, TestCert().cert_pem, true));
  const int32_t id = h2.Submit("POST", "/t2", "u");
  ASSERT_TRUE(h2.RunUntilDone());
  EXPECT_EQ(h2.response(id).body, "u");
  Http1Client clear(tls_port);
  Request request = Http1Client::MakeRequest("/clear");
  clear.Write(request);
  EXPECT_TRUE(clear.ReadsCleanEof());  // closed without an answer
}

TEST_F(TlsServerTest, ClientThatDoesNotTrustTheCertificateFailsTheHandshake) {
  StartTlsServer();
  auto other = GenerateSelfSignedCertificate(SystemClock::Get().NowMs());
  ASSERT_TRUE(other.ok());
  TlsHttp1Client client(port(), other->cert_pem, true);
  EXPECT_TRUE(client.handshake_error());
  // The server is unaffected.
  TlsHttp1Client good(port(), TestCert().cert_pem, true);
  ASSERT_FALSE(good.handshake_error());
  EXPECT_EQ(good.RoundTrip(Http1Client::MakeRequest("/ok", "ok")).body(), "ok");
}

TEST_F(TlsServerTest, StreamingBodiesOverTls) {
  StartTlsServer();
  TlsHttp1Client h1(port(), TestCert().cert_pem, true);
  ASSERT_FALSE(h1.handshake_error());
  h1.Write(Http1Client::MakeRequest("/stream"));
  H2TestClient h2;
  ASSERT_TRUE(h2.ConnectTls(port(), TestCert().cert_pem, true));
  const int32_t id = h2.Submit("POST", "/stream", "{}");
  ASSERT_TRUE(h2.RunUntil([&] { return handler_.SinkCount() == 2; }));
  auto sinks = handler_.TakeSinks(2);
  ASSERT_EQ(sinks.size(), 2u);
  std::string expected;
  for (int i = 0; i < 64; ++i) {
    const std::string piece = std::to_string(i) + ":" + Pattern(16 * 1024 + i);
    expected += piece;
    for (auto& sink : sinks) ASSERT_TRUE(sink->Write(piece));
  }
  for (auto& sink : sinks) sink->Finish();
  Response streamed = h1.Read();
  EXPECT_TRUE(streamed.chunked());
  EXPECT_TRUE(streamed.body() == expected);
  EXPECT_EQ(h1.RoundTrip(Http1Client::MakeRequest("/after", "a")).body(), "a");
  ASSERT_TRUE(h2.RunUntilDone());
  EXPECT_TRUE(h2.response(id).body == expected);
}

TEST_F(TlsServerTest, StartFailsOnABadCertificateOrATlsPortWithoutOne) {
  HttpServerOptions options;
  options.port = 0;
  options.tls_cert_pem = TestCert().cert_pem;
  options.tls_key_pem = "nonsense";
  HttpServer bad(options, handler_);
  const Status<HttpErrc> status = bad.Start();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), HttpErrc::kTlsSetup);
  HttpServerOptions no_cert;
  no_cert.port = 0;
  no_cert.tls_port = 0;
  HttpServer missing(no_cert, handler_);
  const Status<HttpErrc> missing_status = missing.Start();
  ASSERT_FALSE(missing_status.ok());
  EXPECT_EQ(missing_status.code(), HttpErrc::kTlsSetup);
}

}  // namespace
}  // namespace shoal::api
