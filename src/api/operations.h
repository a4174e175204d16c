#pragma once
// The operations shoal serves: name, input shape, and the function that binds a validated
// body to a typed request, calls the service and writes the result.

#include <optional>
#include <string_view>

#include "api/codec/value.h"
#include "api/codec/writer.h"
#include "api/errors.h"
#include "api/shape.h"
#include "service/stream_service.h"

namespace shoal::api {

// What an operation handler may use.
struct Services {
  service::StreamService& streams;
};

struct Operation {
  std::string_view name;
  // Operations without modeled output answer 200 with an empty body (as AWS does).
  bool has_output;
  // Binds `body` (validated against InputShape(name)), runs the operation and, on success,
  // writes the output (when has_output) to `out`.
  std::optional<WireError> (*run)(const Value& body, Format format, Services& services,
                                  Writer& out);
};

// nullptr for an operation shoal does not serve.
const Operation* FindOperation(std::string_view name);

}  // namespace shoal::api
