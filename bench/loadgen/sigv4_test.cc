#include "sigv4.h"

#include <gtest/gtest.h>

namespace shoal::loadgen {
namespace {

// Vector produced by botocore 1.43 (SigV4Auth.add_auth) for the same request.
TEST(SigV4Test, MatchesBotocore) {
  const std::string body = R"({"StreamName":"s","Data":"AAE=","PartitionKey":"k"})";
  const std::string date = "20261122T030724Z";
  std::string canonical = CanonicalRequest("/", kJsonContentType, "127.0.0.1:4567", date,
                                           "Kinesis_20131202.PutRecord", Sha256Hex(body));
  EXPECT_EQ(SignatureV4("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", date, "us-east-1",
                        "kinesis", canonical),
            "f9703c238e688d478f921070f215d06370b41460ceb4847943c099cc921b881d");
}

TEST(SigV4Test, Sha256OfEmpty) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SigV4Test, SignerHeadersAreWellFormed) {
  for (bool real : {false, true}) {
    Signer signer(Credentials{}, "127.0.0.1:4567", real);
    std::string date, auth;
    signer.Sign("Kinesis_20131202.ListStreams", "{}", nullptr, date, auth);
    ASSERT_EQ(date.size(), 16u);
    EXPECT_EQ(date[8], 'T');
    EXPECT_EQ(date.back(), 'Z');
    EXPECT_TRUE(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDLOADGEN/" + date.substr(0, 8) +
                                 "/us-east-1/kinesis/aws4_request, SignedHeaders="
                                 "content-type;host;x-amz-date;x-amz-target, Signature="))
        << auth;
    EXPECT_EQ(auth.size() - auth.rfind('=') - 1, 64u);
  }
}

}  // namespace
}  // namespace shoal::loadgen
