#include "api/sigv4.h"

#include <fmt/format.h>

namespace shoal::api {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

Result<SigV4Authorization, AuthErrc> ParseAuthorization(std::string_view header) {
  auto fail = [&](std::string_view what) -> Result<SigV4Authorization, AuthErrc> {
    return {AuthErrc::kIncomplete, fmt::format("{} Authorization={}", what, header)};
  };
  std::string_view h = Trim(header);
  constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
  if (h.substr(0, kAlgorithm.size()) != kAlgorithm || h.size() == kAlgorithm.size() ||
      h[kAlgorithm.size()] != ' ') {
    return fail("Authorization header requires 'Credential' parameter. Authorization header "
                "requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
                "parameter.");
  }
  std::string_view credential, signed_headers, signature;
  for (std::string_view part : Split(h.substr(kAlgorithm.size() + 1), ',')) {
    part = Trim(part);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = part.substr(0, eq), value = part.substr(eq + 1);
    if (key == "Credential") credential = value;
    if (key == "SignedHeaders") signed_headers = value;
    if (key == "Signature") signature = value;
  }
  std::string missing;
  if (credential.empty()) missing += "Authorization header requires 'Credential' parameter. ";
  if (signature.empty()) missing += "Authorization header requires 'Signature' parameter. ";
  if (signed_headers.empty())
    missing += "Authorization header requires 'SignedHeaders' parameter. ";
  if (!missing.empty()) {
    missing.pop_back();
    return fail(missing);
  }
  auto scope = Split(credential, '/');
  if (scope.size() != 5 || scope[0].empty() || scope[1].size() != 8 || scope[4] != "aws4_request") {
    return fail("Credential should be scoped to a valid region.");
  }
  if (!IsHex64(signature)) return fail("Signature must be 64 lowercase hexadecimal digits.");
  SigV4Authorization a;
  a.access_key_id = scope[0];
  a.date = scope[1];
  a.region = scope[2];
  a.service = scope[3];
  for (auto sh : Split(signed_headers, ';')) a.signed_headers.emplace_back(sh);
  a.signature = signature;
  return a;
}

}  // namespace shoal::api
