#pragma once
// A fast path for the hottest request: a well-formed JSON PutRecords body is decoded straight
// from simdjson's DOM into a PutRecordsRequest, with every blob base64-decoded once into one
// buffer (no Value tree, no allocation per record). It accepts only bodies that the general
// path (decode → Validate → bind) would accept with the same meaning; anything else (a wrong
// type, a broken constraint, an unusual member) returns nullopt, and the caller takes the
// general path, which produces AWS's exact errors.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "service/data_types.h"

namespace shoal::api {

struct FastPutRecords {
  service::PutRecordsRequest request;  // entries view into *arena
  std::shared_ptr<std::string> arena;
};

std::optional<FastPutRecords> TryDecodePutRecordsJson(std::string_view body);

}  // namespace shoal::api
