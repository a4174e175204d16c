#include "api/http/header_util.h"

#include <algorithm>
#include <array>

namespace shoal::api::transport {
namespace {

char LowerChar(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view lower_b) {
  if (a.size() != lower_b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (LowerChar(a[i]) != lower_b[i]) return false;
  return true;
}

}  // namespace

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), LowerChar);
  return out;
}

bool IsTransportOwnedHeader(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kOwned = {
      "connection", "keep-alive", "proxy-connection", "transfer-encoding",
      "upgrade",    "te",         "content-length"};
  return std::any_of(kOwned.begin(), kOwned.end(),
                     [&](std::string_view owned) { return EqualsIgnoreCase(name, owned); });
}

}  // namespace shoal::api::transport
