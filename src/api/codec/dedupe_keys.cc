#include "api/codec/dedupe_keys.h"

#include <cstddef>
#include <string_view>
#include <unordered_map>

namespace shoal::api {
namespace {

// Above this size a hash index beats pairwise comparison.
constexpr size_t kLinearScanMax = 16;

// Index of an earlier member with the same key as members[i], or i when there is none.
// Comparing in ascending order finds the first occurrence, which is the one that is kept.
size_t FindFirstLinear(const std::vector<Value::Member>& members, size_t i) {
  for (size_t j = 0; j < i; ++j)
    if (members[j].first == members[i].first) return j;
  return i;
}

}  // namespace

void DedupeKeys(std::vector<Value::Member>& members) {
  const size_t n = members.size();
  if (n < 2) return;
  std::vector<bool> drop;
  std::unordered_map<std::string_view, size_t> first;
  if (n > kLinearScanMax) first.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    size_t j = i;
    if (n <= kLinearScanMax) {
      j = FindFirstLinear(members, i);
    } else {
      // Keys are not moved until the compaction below, so the views stay valid.
      j = first.emplace(members[i].first, i).first->second;
    }
    if (j == i) continue;
    members[j].second = std::move(members[i].second);
    if (drop.empty()) drop.resize(n);
    drop[i] = true;
  }
  if (drop.empty()) return;
  size_t w = 0;
  for (size_t i = 0; i < n; ++i) {
    if (drop[i]) continue;
    if (w != i) members[w] = std::move(members[i]);
    ++w;
  }
  members.erase(members.begin() + static_cast<ptrdiff_t>(w), members.end());
}

}  // namespace shoal::api
