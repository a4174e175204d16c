#pragma once
// The catalog's error codes (meta/ owns them; the API edge maps them to Kinesis errors).

#include "common/status.h"

namespace shoal::meta {

enum class MetaErrc {
  kIo,              // the file system failed; the command was not applied
  kCorruption,      // a damaged record before the log's tail (never skipped silently)
  kInvalidCommand,  // the command does not fit the tables (unknown stream, stale revision, ...)
};
using MetaStatus = Status<MetaErrc>;
template <class T>
using MetaResult = Result<T, MetaErrc>;

}  // namespace shoal::meta
