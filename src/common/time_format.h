#pragma once
// Formatting of epoch milliseconds as UTC text.

#include <cstdint>
#include <string>

namespace shoal {

// strftime(`format`) of the UTC calendar time of `epoch_ms` (whole seconds).
std::string FormatUtc(int64_t epoch_ms, const char* format);

// "Sun, 22 Nov 2026 02:16:10 GMT" (RFC 1123, the HTTP Date header).
inline std::string HttpDate(int64_t epoch_ms) {
  return FormatUtc(epoch_ms, "%a, %d %b %Y %H:%M:%S GMT");
}

}  // namespace shoal
