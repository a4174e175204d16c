#include "stats.h"

#include <algorithm>

namespace shoal::loadgen {

void OpStats::AddError(std::string_view type, uint64_t n) {
  auto it = errors.find(type);
  if (it == errors.end()) {
    errors.emplace(std::string(type), n);
  } else {
    it->second += n;
  }
}

void OpStats::Merge(const OpStats& o) {
  requests += o.requests;
  ok += o.ok;
  records += o.records;
  record_bytes += o.record_bytes;
  request_bytes += o.request_bytes;
  response_bytes += o.response_bytes;
  failed_records += o.failed_records;
  throttled += o.throttled;
  latency.Merge(o.latency);
  for (const auto& [k, v] : o.errors) AddError(k, v);
}

uint64_t OpStats::error_count() const { return requests - ok; }

void PhaseStats::Merge(const PhaseStats& o) {
  for (size_t i = 0; i < ops.size(); ++i) ops[i].Merge(o.ops[i]);
  put_to_get.Merge(o.put_to_get);
  put_get_missing += o.put_get_missing;
  put_to_event.Merge(o.put_to_event);
  put_event_missing += o.put_event_missing;
  first_start = std::min(first_start, o.first_start);
  last_end = std::max(last_end, o.last_end);
}

}  // namespace shoal::loadgen
