#include "service/page_token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <cstring>

namespace shoal::service {
namespace {

constexpr char kVersion = '1';
constexpr size_t kMacBytes = 16;

std::string Mac(std::string_view data, std::string_view key) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), kMacBytes);
}

std::string ToHex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xF]);
  }
  return out;
}

bool FromHex(std::string_view hex, std::string& out) {
  if (hex.size() % 2 != 0) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  out.clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return true;
}

// Payload: version, then "<len>:<bytes>" per field, the first field being the issue time.
void AppendField(std::string& out, std::string_view f) {
  out += std::to_string(f.size());
  out.push_back(':');
  out.append(f);
}

}  // namespace

TokenFields& TokenFields::Add(std::string_view field) {
  fields_.emplace_back(field);
  return *this;
}

TokenFields& TokenFields::AddInt(int64_t v) { return Add(std::to_string(v)); }

std::string SealPageToken(const TokenFields& fields, int64_t issued_ms, std::string_view key) {
  std::string payload(1, kVersion);
  AppendField(payload, std::to_string(issued_ms));
  for (const auto& f : fields.fields()) AppendField(payload, f);
  return ToHex(payload + Mac(payload, key));
}

Result<std::vector<std::string>, TokenErrc> OpenPageToken(std::string_view token, int64_t now_ms,
                                                         int64_t ttl_ms, std::string_view key) {
  auto opened = OpenSealedToken(token, key);
  if (!opened.ok()) return opened.status();
  if (opened->ExpiredAt(now_ms, ttl_ms)) return {TokenErrc::kExpired, ""};
  return std::move(opened->fields);
}

Result<OpenedToken, TokenErrc> OpenSealedToken(std::string_view token, std::string_view key) {
  std::string raw;
  if (!FromHex(token, raw) || raw.size() < 1 + kMacBytes) return {TokenErrc::kInvalid, ""};
  std::string_view payload(raw.data(), raw.size() - kMacBytes);
  std::string expected = Mac(payload, key);
  if (CRYPTO_memcmp(expected.data(), raw.data() + payload.size(), kMacBytes) != 0 ||
      payload[0] != kVersion) {
    return {TokenErrc::kInvalid, ""};
  }
  std::vector<std::string> fields;
  size_t pos = 1;
  while (pos < payload.size()) {
    size_t colon = payload.find(':', pos);
    if (colon == std::string_view::npos) return {TokenErrc::kInvalid, ""};
    size_t len = 0;
    auto [p, ec] = std::from_chars(payload.data() + pos, payload.data() + colon, len);
    if (ec != std::errc() || p != payload.data() + colon || colon + 1 + len > payload.size())
      return {TokenErrc::kInvalid, ""};
    fields.emplace_back(payload.substr(colon + 1, len));
    pos = colon + 1 + len;
  }
  if (fields.empty()) return {TokenErrc::kInvalid, ""};
  int64_t issued = 0;
  auto [p, ec] = std::from_chars(fields[0].data(), fields[0].data() + fields[0].size(), issued);
  if (ec != std::errc()) return {TokenErrc::kInvalid, ""};
  fields.erase(fields.begin());
  return OpenedToken{std::move(fields), issued};
}

}  // namespace shoal::service
