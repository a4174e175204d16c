#pragma once
// Counters of one benchmark phase, kept per worker thread (no sharing while measuring) and
// merged by the runner afterwards.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "connection.h"
#include "histogram.h"

namespace shoal::loadgen {

struct OpStats {
  uint64_t requests = 0;        // completed in the measurement window, whatever the outcome
  uint64_t ok = 0;              // answered 200
  uint64_t records = 0;         // records written (accepted) or read
  uint64_t record_bytes = 0;    // their data bytes (decoded)
  uint64_t request_bytes = 0;   // request bodies sent
  uint64_t response_bytes = 0;  // response bodies received
  uint64_t failed_records = 0;  // PutRecords entries answered with an ErrorCode
  uint64_t throttled = 0;       // ProvisionedThroughputExceededException: requests + entries
  Histogram latency;            // successful (200) requests only
  // Errors by type: transport errors (ConnectError, Timeout, ...), AWS error codes of non-200
  // answers, "HTTP <status>" without one, and "record:<ErrorCode>" for PutRecords entries.
  std::map<std::string, uint64_t, std::less<>> errors;

  void AddError(std::string_view type, uint64_t n = 1);
  void Merge(const OpStats& other);
  uint64_t error_count() const;
};

struct PhaseStats {
  std::array<OpStats, kOpCount> ops;
  Histogram put_to_get;         // put-get-latency: PutRecord sent -> record seen by GetRecords
  uint64_t put_get_missing = 0; // polled past the record without seeing it
  Histogram put_to_event;       // subscribe-latency: PutRecord sent -> its event arrived
  uint64_t put_event_missing = 0;  // no event for the record within --event-timeout
  SteadyClock::time_point first_start = SteadyClock::time_point::max();
  SteadyClock::time_point last_end = SteadyClock::time_point::min();

  OpStats& op(Op o) { return ops[static_cast<size_t>(o)]; }
  const OpStats& op(Op o) const { return ops[static_cast<size_t>(o)]; }
  void Merge(const PhaseStats& other);
};

}  // namespace shoal::loadgen
