#pragma once
// Internal to the readers: the duplicate-key rule of reader.h in one place.

#include <vector>

#include "api/codec/value.h"

namespace shoal::api {

// Removes repeated keys from an object's members: for each key, the value of its last
// occurrence is kept at the position of its first. O(n) expected; no allocation when n is
// small and there are no duplicates.
void DedupeKeys(std::vector<Value::Member>& members);

}  // namespace shoal::api
