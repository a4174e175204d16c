#pragma once
// Pagination tokens (NextToken): opaque to clients, tamper-evident (HMAC-SHA256 under a
// server key), carrying their issue time so they expire like AWS's (300 s by default).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace shoal::service {

enum class TokenErrc { kInvalid, kExpired };

// Builds the payload of a token from fields; a token's fields come back in order.
class TokenFields {
 public:
  TokenFields& Add(std::string_view field);
  TokenFields& AddInt(int64_t v);
  const std::vector<std::string>& fields() const { return fields_; }

 private:
  std::vector<std::string> fields_;
};

std::string SealPageToken(const TokenFields& fields, int64_t issued_ms, std::string_view key);

struct OpenedToken {
  std::vector<std::string> fields;
  int64_t issued_ms = 0;
  bool ExpiredAt(int64_t now_ms, int64_t ttl_ms) const { return now_ms > issued_ms + ttl_ms; }
};

// Verifies and opens a token: kInvalid for anything not sealed by SealPageToken with `key`.
Result<OpenedToken, TokenErrc> OpenSealedToken(std::string_view token, std::string_view key);

// OpenSealedToken plus the expiry check: kExpired when now_ms > issued_ms + ttl_ms.
Result<std::vector<std::string>, TokenErrc> OpenPageToken(std::string_view token, int64_t now_ms,
                                                         int64_t ttl_ms, std::string_view key);

}  // namespace shoal::service
