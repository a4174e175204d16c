#pragma once
// SigV4 `Authorization` header parsing. Signatures are not verified yet (any well-formed
// signature is accepted); what is parsed here is what verification will need.

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace shoal::api {

struct SigV4Authorization {
  std::string access_key_id;
  std::string date;     // the scope's YYYYMMDD
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;
  std::string signature;
};

enum class AuthErrc { kIncomplete };

// Parses "AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kinesis/aws4_request,
// SignedHeaders=a;b, Signature=<hex>" (separators ", " or "," with optional spaces).
// On failure the message is AWS's IncompleteSignatureException text.
Result<SigV4Authorization, AuthErrc> ParseAuthorization(std::string_view header);

}  // namespace shoal::api
