#pragma once
// Output pieces GetRecords and SubscribeToShardEvent share: the Records list and ChildShards.

#include <vector>

#include "api/codec/writer.h"
#include "service/data_types.h"

namespace shoal::api {

// Writes "Records": [...] (the key and the array) for `batch`'s records.
void WriteRecords(Writer& w, const service::GetRecordsResult& batch);
// Writes the ChildShards array (the value only).
void WriteChildShards(Writer& w, const std::vector<service::ChildShardInfo>& children);
// A size hint for a Writer about to write `batch`.
size_t EstimateRecordsBytes(const service::GetRecordsResult& batch);

}  // namespace shoal::api
