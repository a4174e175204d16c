#pragma once
// The one place that knows Kinesis error names: every layer's error enum is mapped here to
// the wire `__type` and HTTP status (style A2).

#include <string>

#include "service/errors.h"

namespace shoal::api {

struct WireError {
  std::string type;     // `__type` and x-amzn-ErrorType
  std::string message;  // may be empty (UnknownOperationException has none)
  int http_status = 400;
};

// Errors the API layer itself raises (before the service sees a request).
enum class ApiErrc {
  kUnknownOperation,
  kSerialization,
  kValidation,
  kMissingAuthenticationToken,
  kIncompleteSignature,
  kRequestTooLarge,
  kInternal,
};

WireError ToWireError(service::Errc code, std::string message);
WireError ToWireError(ApiErrc code, std::string message);

}  // namespace shoal::api
