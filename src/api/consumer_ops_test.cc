// The consumer operations on the wire: shapes, validation messages, outputs.

#include "api/kinesis_handler.h"

#include <gtest/gtest.h>

#include "api/handler_test_util.h"

#include "api/codec/reader.h"

namespace shoal::api {
namespace {

class ConsumerOpsTest : public testing::HandlerFixture {
 protected:
  void SetUp() override {
    options_.update_delay_ms = 0;
    options_.consumer_create_delay_ms = 0;
    OpenHandler();
  }
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
