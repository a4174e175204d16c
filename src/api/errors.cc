#include "api/errors.h"

namespace shoal::api {

WireError ToWireError(service::Errc code, std::string message) {
  using service::Errc;
  switch (code) {
    case Errc::kResourceNotFound: return {"ResourceNotFoundException", std::move(message), 400};
    case Errc::kResourceInUse: return {"ResourceInUseException", std::move(message), 400};
    case Errc::kInvalidArgument: return {"InvalidArgumentException", std::move(message), 400};
    case Errc::kLimitExceeded: return {"LimitExceededException", std::move(message), 400};
    case Errc::kValidation: return {"ValidationException", std::move(message), 400};
    case Errc::kExpiredNextToken: return {"ExpiredNextTokenException", std::move(message), 400};
    case Errc::kExpiredIterator: return {"ExpiredIteratorException", std::move(message), 400};
    case Errc::kProvisionedThroughputExceeded:
      return {"ProvisionedThroughputExceededException", std::move(message), 400};
    case Errc::kAccessDenied: return {"AccessDeniedException", std::move(message), 400};
    // The model marks InternalFailureException as a fault: HTTP 500, retried by every SDK.
    case Errc::kInternal: return {"InternalFailureException", std::move(message), 500};
  }
  return {"InternalFailureException", std::move(message), 500};
}

WireError ToWireError(ApiErrc code, std::string message) {
  switch (code) {
    case ApiErrc::kUnknownOperation: return {"UnknownOperationException", std::move(message), 400};
    case ApiErrc::kSerialization: return {"SerializationException", std::move(message), 400};
    case ApiErrc::kValidation: return {"ValidationException", std::move(message), 400};
    case ApiErrc::kMissingAuthenticationToken:
      return {"MissingAuthenticationTokenException", std::move(message), 400};
    case ApiErrc::kIncompleteSignature:
      return {"IncompleteSignatureException", std::move(message), 400};
    // The body was not read; 413 tells HTTP-level tooling what happened, the body tells SDKs.
    case ApiErrc::kRequestTooLarge: return {"SerializationException", std::move(message), 413};
    case ApiErrc::kInternal: return {"InternalFailureException", std::move(message), 500};
  }
  return {"InternalFailureException", std::move(message), 500};
}

}  // namespace shoal::api
