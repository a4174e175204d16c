#pragma once
// A test fixture for the protocol edge: the whole service layer (service_test_util.h) behind a
// KinesisHandler, called with signed JSON 1.1 requests.

#include <future>
#include <memory>
#include <string>

#include "api/codec/reader.h"
#include "api/kinesis_handler.h"
#include "service/service_test_util.h"

namespace shoal::api::testing {

inline constexpr char kAuth[] =
    "AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kinesis/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
    "Signature=8c749e3b7ae6fa248966db61058b45e160f7218f37147b25a4cf1e79db3d8be7";

class HandlerFixture : public service::testing::ServiceFixture {
 protected:
  // Opens the services (with options_ as the fixture set them) and the handler.
  void OpenHandler() {
    Open();
    handler_ = std::make_unique<KinesisHandler>(Services{*streams_, *data_}, clock_, 2);
  }
  void TearDown() override {
    if (handler_) handler_->Stop();
    handler_.reset();
    ServiceFixture::TearDown();
  }

  static HttpRequest Request(const std::string& op, std::string body,
                             const std::string& type = "application/x-amz-json-1.1") {
    HttpRequest r;
    r.method = "POST";
    r.target = "/";
    r.headers = {{"content-type", type},
                 {"x-amz-target", "Kinesis_20131202." + op},
                 {"x-amz-date", "20240102T030405Z"},
                 {"authorization", kAuth}};
    r.body = std::move(body);
    return r;
  }

  HttpResponse Call(HttpRequest req) {
    std::promise<HttpResponse> p;
    handler_->Handle(std::move(req), [&p](HttpResponse r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }
  HttpResponse Call(const std::string& op, std::string body) {
    return Call(Request(op, std::move(body)));
  }

  // The parsed body of a 200 response (fails the test otherwise).
  static Value Ok(const HttpResponse& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    auto body = ReadJson(r.body);
    EXPECT_TRUE(body.ok()) << r.body;
    return body.ok() ? std::move(*body) : Value();
  }

  // "__type: message" of an error response.
  static std::string Error(const HttpResponse& r) {
    auto body = ReadJson(r.body);
    if (!body.ok()) return "<unparsable>";
    const Value* t = body->Find("__type");
    const Value* m = body->Find("message");
    return (t ? t->as_string() : "") + ": " + (m ? m->as_string() : "");
  }

  std::unique_ptr<KinesisHandler> handler_;
};

}  // namespace shoal::api::testing
