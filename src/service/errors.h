#pragma once
// The service layer's errors: Kinesis semantics, no wire names. api/ maps each value to
// its Kinesis error type and HTTP status in one place (api/errors.cc).

#include "common/status.h"

namespace shoal::service {

enum class Errc {
  kResourceNotFound,
  kResourceInUse,
  kInvalidArgument,
  kLimitExceeded,
  kValidation,          // a rule the model names ValidationException for (not a shape constraint)
  kExpiredNextToken,
  kExpiredIterator,
  kProvisionedThroughputExceeded,  // a per-shard rate limit (PutRecord, GetRecords, ...)
  kAccessDenied,
  kInternal,            // our own fault (e.g. the catalog could not be written)
};

using SvcStatus = Status<Errc>;
template <class T>
using SvcResult = Result<T, Errc>;

}  // namespace shoal::service
