#include "common/time_format.h"

#include <ctime>

namespace shoal {

std::string FormatUtc(int64_t epoch_ms, const char* format) {
  std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[128];
  size_t n = std::strftime(buf, sizeof(buf), format, &tm);
  return std::string(buf, n);
}

}  // namespace shoal
