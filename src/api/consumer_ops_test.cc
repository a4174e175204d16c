// The consumer operations on the wire: shapes, validation messages, outputs.

#include "api/kinesis_handler.h"

#include <gtest/gtest.h>

#include <future>

#include "api/codec/reader.h"
#include "common/mem_fs.h"
#include "meta/catalog.h"
#include "service/data_plane.h"
#include "service/stream_service.h"
#include "storage/log_engine.h"

namespace shoal::api {
namespace {

constexpr char kAuth[] =
    "AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kinesis/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
    "Signature=8c749e3b7ae6fa248966db61058b45e160f7218f37147b25a4cf1e79db3d8be7";


class ConsumerOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = meta::Catalog::Open(fs_, "/data");
    ASSERT_TRUE(c.ok());
    catalog_ = std::move(*c);
    service::ServiceOptions opts;
    opts.create_delay_ms = 0;
    opts.update_delay_ms = 0;
    opts.consumer_create_delay_ms = 0;
    opts.token_key = "k";
    streams_ = std::make_unique<service::StreamService>(*catalog_, clock_, opts);
    storage::EngineOptions eo;
    eo.dir = "/data/streams";
    auto e = storage::OpenLogEngine(fs_, clock_, eo);
    ASSERT_TRUE(e.ok());
    engine_ = std::move(*e);
    data_ = std::make_unique<service::DataPlane>(*streams_, *engine_, clock_,
                                                 service::DataPlaneOptions{});
    handler_ = std::make_unique<KinesisHandler>(Services{*streams_, *data_}, clock_, 2);
  }

  void TearDown() override {
    handler_->Stop();
    engine_->Stop();
  }

  HttpResponse Call(const std::string& op, std::string body) {
    HttpRequest r;
    r.method = "POST";
    r.target = "/";
    r.headers = {{"content-type", "application/x-amz-json-1.1"},
                 {"x-amz-target", "Kinesis_20131202." + op},
                 {"x-amz-date", "20240102T030405Z"},
                 {"authorization", kAuth}};
    r.body = std::move(body);
    std::promise<HttpResponse> p;
    handler_->Handle(std::move(r), [&p](HttpResponse res) { p.set_value(std::move(res)); });
    return p.get_future().get();
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

  MemFileSystem fs_;
  FakeClock clock_;
  std::unique_ptr<meta::Catalog> catalog_;
  std::unique_ptr<service::StreamService> streams_;
  std::unique_ptr<storage::LogEngine> engine_;
  std::unique_ptr<service::DataPlane> data_;
  std::unique_ptr<KinesisHandler> handler_;
};


constexpr char kStreamArn[] = "arn:aws:kinesis:us-east-1:000000000000:stream/s";

TEST_F(ConsumerOpsTest, RegisterDescribeListDeregister) {
  ASSERT_EQ(Call("CreateStream", R"({"StreamName":"s","ShardCount":1})").status, 200);
  const std::string arn = std::string(R"("StreamARN":")") + kStreamArn + "\"";
  Value reg = Ok(Call("RegisterStreamConsumer", "{" + arn + R"(,"ConsumerName":"c1"})"));
  const Value* c = reg.Find("Consumer");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Find("ConsumerName")->as_string(), "c1");
  EXPECT_EQ(c->Find("ConsumerStatus")->as_string(), "ACTIVE");
  std::string consumer_arn = c->Find("ConsumerARN")->as_string();
  EXPECT_EQ(consumer_arn, std::string(kStreamArn) + "/consumer/c1:" +
                              std::to_string(clock_.NowMs() / 1000));
  EXPECT_EQ(c->Find("ConsumerCreationTimestamp")->as_double(), clock_.NowMs() / 1000.0);
  EXPECT_EQ(c->Find("StreamARN"), nullptr);  // only ConsumerDescription has it

  Value d = Ok(Call("DescribeStreamConsumer", R"({"ConsumerARN":")" + consumer_arn + "\"}"));
  const Value* desc = d.Find("ConsumerDescription");
  ASSERT_NE(desc, nullptr);
  EXPECT_EQ(desc->Find("StreamARN")->as_string(), kStreamArn);
  EXPECT_EQ(desc->Find("ConsumerARN")->as_string(), consumer_arn);
  Ok(Call("DescribeStreamConsumer", "{" + arn + R"(,"ConsumerName":"c1"})"));

  Ok(Call("RegisterStreamConsumer", "{" + arn + R"(,"ConsumerName":"c0"})"));
  Value page = Ok(Call("ListStreamConsumers", "{" + arn + R"(,"MaxResults":1})"));
  ASSERT_EQ(page.Find("Consumers")->items().size(), 1u);
  EXPECT_EQ(page.Find("Consumers")->items()[0].Find("ConsumerName")->as_string(), "c0");
  std::string token = page.Find("NextToken")->as_string();
  page = Ok(Call("ListStreamConsumers", "{" + arn + R"(,"NextToken":")" + token + "\"}"));
  ASSERT_EQ(page.Find("Consumers")->items().size(), 1u);
  EXPECT_EQ(page.Find("Consumers")->items()[0].Find("ConsumerName")->as_string(), "c1");
  EXPECT_EQ(page.Find("NextToken"), nullptr);

  Value summary = Ok(Call("DescribeStreamSummary", R"({"StreamName":"s"})"));
  EXPECT_EQ(summary.Find("StreamDescriptionSummary")->Find("ConsumerCount")->as_int(), 2);

  auto r = Call("DeregisterStreamConsumer", R"({"ConsumerARN":")" + consumer_arn + "\"}");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(Error(Call("DeleteStream", R"({"StreamName":"s"})")).substr(0, 23),
            "ResourceInUseException:");
  EXPECT_EQ(Call("DeleteStream", R"({"StreamName":"s","EnforceConsumerDeletion":true})").status,
            200);
}

TEST_F(ConsumerOpsTest, ModelConstraints) {
  EXPECT_EQ(Error(Call("RegisterStreamConsumer", R"({"ConsumerName":"a b"})")),
            "ValidationException: 2 validation errors detected: Value null at 'streamARN' failed "
            "to satisfy constraint: Member must not be null; Value 'a b' at 'consumerName' failed "
            "to satisfy constraint: Member must satisfy regular expression pattern: "
            "[a-zA-Z0-9_.-]+");
  EXPECT_EQ(Error(Call("RegisterStreamConsumer", R"({"StreamARN":"x","ConsumerName":")" +
                                                     std::string(129, 'c') + "\"}")),
            "ValidationException: 2 validation errors detected: Value 'x' at 'streamARN' failed "
            "to satisfy constraint: Member must satisfy regular expression pattern: "
            "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+; Value '" + std::string(129, 'c') +
                "' at 'consumerName' failed to satisfy constraint: Member must have length less "
                "than or equal to 128");
  EXPECT_EQ(Error(Call("DescribeStreamConsumer",
                       R"({"ConsumerARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s"})")),
            "ValidationException: 1 validation error detected: Value "
            "'arn:aws:kinesis:us-east-1:000000000000:stream/s' at 'consumerARN' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/"
            "[a-zA-Z0-9_.-]+:[0-9]+");
  EXPECT_EQ(Error(Call("DeregisterStreamConsumer", R"({"ConsumerName":""})")),
            "ValidationException: 2 validation errors detected: Value '' at 'consumerName' failed "
            "to satisfy constraint: Member must have length greater than or equal to 1; Value '' "
            "at 'consumerName' failed to satisfy constraint: Member must satisfy regular "
            "expression pattern: [a-zA-Z0-9_.-]+");
  EXPECT_EQ(Error(Call("ListStreamConsumers", R"({"MaxResults":0})")),
            "ValidationException: 2 validation errors detected: Value null at 'streamARN' failed "
            "to satisfy constraint: Member must not be null; Value '0' at 'maxResults' failed to "
            "satisfy constraint: Member must have value greater than or equal to 1");
  EXPECT_EQ(Error(Call("ListStreamConsumers", std::string(R"({"StreamARN":")") + kStreamArn +
                                                  R"(","MaxResults":10001})")),
            "ValidationException: 1 validation error detected: Value '10001' at 'maxResults' "
            "failed to satisfy constraint: Member must have value less than or equal to 10000");
  // Well-formed requests reach the service's rules.
  EXPECT_EQ(Error(Call("DescribeStreamConsumer", "{}")),
            "InvalidArgumentException: Either ConsumerARN or both StreamARN and ConsumerName "
            "must be provided.");
  EXPECT_EQ(Error(Call("DescribeStreamConsumer",
                       R"({"ConsumerARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s/)"
                       R"(consumer/c:1"})")),
            "ResourceNotFoundException: Consumer "
            "arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1 not found.");
}

}  // namespace
}  // namespace shoal::api
