#pragma once
// AWS Signature Version 4 for the four headers the load generator signs
// (content-type;host;x-amz-date;x-amz-target), as boto3 signs Kinesis calls.
//
// Two modes: `real` computes a true signature per request (HMAC-SHA256 chain with OpenSSL; the
// payload hash is passed in precomputed for pooled bodies), otherwise the Authorization header
// is well formed but its signature is a fixed string (servers that do not verify accept it and
// the client spends nothing on it). Not thread-safe: one Signer per worker thread.

#include <array>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

namespace shoal::loadgen {

struct Credentials {
  std::string access_key = "AKIDLOADGEN";
  std::string secret_key = "loadgen-secret";
  std::string region = "us-east-1";
  std::string service = "kinesis";
};

// Lowercase hex SHA-256.
std::string Sha256Hex(std::string_view data);

// The SigV4 canonical request of a POST to `path` signed over content-type, host, x-amz-date
// and x-amz-target (header values already trimmed).
std::string CanonicalRequest(std::string_view path, std::string_view content_type,
                             std::string_view host, std::string_view amz_date,
                             std::string_view target, std::string_view payload_sha256_hex);

// Hex signature of `canonical_request` at `amz_date` ("YYYYMMDDTHHMMSSZ").
std::string SignatureV4(std::string_view secret_key, std::string_view amz_date,
                        std::string_view region, std::string_view service,
                        std::string_view canonical_request);

inline constexpr std::string_view kSignedHeaders = "content-type;host;x-amz-date;x-amz-target";
inline constexpr std::string_view kJsonContentType = "application/x-amz-json-1.1";

class Signer {
 public:
  Signer(Credentials credentials, std::string host, bool real);

  // Sets `amz_date` to the current UTC time and `authorization` to the Authorization header
  // value for a POST / with `target` and `body`. `body_sha256` may be null (then hashed here
  // when signing for real).
  void Sign(std::string_view target, std::string_view body, const std::string* body_sha256,
            std::string& amz_date, std::string& authorization);

  bool real() const { return real_; }

 private:
  void RefreshClock();

  Credentials cred_;
  std::string host_;
  bool real_;
  time_t second_ = 0;
  std::string amz_date_;      // current second
  std::string day_;           // YYYYMMDD of amz_date_
  std::string fake_auth_;     // for the current day
  std::array<unsigned char, 32> signing_key_{};
  std::string key_day_;       // day of signing_key_
};

}  // namespace shoal::loadgen
