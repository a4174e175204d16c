#pragma once
// Checks a decoded body against an input shape, the way the Kinesis frontend does:
// first the types (a mismatch is a SerializationException and stops the check), then every
// constraint (each violation becomes one item of a ValidationException).

#include <optional>
#include <string>

#include "api/codec/value.h"
#include "api/errors.h"
#include "api/shape.h"

namespace shoal::api {

// nullopt when `body` satisfies `shape`; otherwise the error to send. Blobs sent as base64
// text are decoded in place (they become kBytes), so binding never decodes twice.
// REQUIRES: shape.type == kStructure.
std::optional<WireError> Validate(Value& body, const Shape& shape);

}  // namespace shoal::api
