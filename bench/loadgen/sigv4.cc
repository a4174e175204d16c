#include "sigv4.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <chrono>

namespace shoal::loadgen {
namespace {

std::string Hex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '\0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 15];
  }
  return out;
}

std::array<unsigned char, 32> Hmac(const void* key, size_t key_len, std::string_view msg) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key, static_cast<int>(key_len),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out.data(), &len);
  return out;
}

std::array<unsigned char, 32> SigningKey(std::string_view secret, std::string_view day,
                                         std::string_view region, std::string_view service) {
  std::string k = "AWS4";
  k.append(secret);
  auto k_date = Hmac(k.data(), k.size(), day);
  auto k_region = Hmac(k_date.data(), k_date.size(), region);
  auto k_service = Hmac(k_region.data(), k_region.size(), service);
  return Hmac(k_service.data(), k_service.size(), "aws4_request");
}

std::string StringToSign(std::string_view amz_date, std::string_view region,
                         std::string_view service, std::string_view canonical_request) {
  return fmt::format("AWS4-HMAC-SHA256\n{}\n{}/{}/{}/aws4_request\n{}", amz_date,
                     amz_date.substr(0, 8), region, service, Sha256Hex(canonical_request));
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return Hex(md, sizeof md);
}

std::string CanonicalRequest(std::string_view path, std::string_view content_type,
                             std::string_view host, std::string_view amz_date,
                             std::string_view target, std::string_view payload_sha256_hex) {
  return fmt::format(
      "POST\n{}\n\ncontent-type:{}\nhost:{}\nx-amz-date:{}\nx-amz-target:{}\n\n{}\n{}", path,
      content_type, host, amz_date, target, kSignedHeaders, payload_sha256_hex);
}

std::string SignatureV4(std::string_view secret_key, std::string_view amz_date,
                        std::string_view region, std::string_view service,
                        std::string_view canonical_request) {
  auto key = SigningKey(secret_key, amz_date.substr(0, 8), region, service);
  auto sig = Hmac(key.data(), key.size(),
                  StringToSign(amz_date, region, service, canonical_request));
  return Hex(sig.data(), sig.size());
}

Signer::Signer(Credentials credentials, std::string host, bool real)
    : cred_(std::move(credentials)), host_(std::move(host)), real_(real) {
  RefreshClock();
}

void Signer::RefreshClock() {
  time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  if (now == second_ && !amz_date_.empty()) return;
  second_ = now;
  struct tm tm {};
  gmtime_r(&now, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  amz_date_ = buf;
  std::string day = amz_date_.substr(0, 8);
  if (day != day_) {
    day_ = day;
    // Well formed, not a real signature: 64 hex digits.
    fake_auth_ = fmt::format(
        "AWS4-HMAC-SHA256 Credential={}/{}/{}/{}/aws4_request, SignedHeaders={}, Signature={}",
        cred_.access_key, day_, cred_.region, cred_.service, kSignedHeaders,
        std::string(64, 'a'));
  }
}

void Signer::Sign(std::string_view target, std::string_view body,
                  const std::string* body_sha256, std::string& amz_date,
                  std::string& authorization) {
  RefreshClock();
  amz_date.assign(amz_date_);
  if (!real_) {
    authorization.assign(fake_auth_);
    return;
  }
  if (key_day_ != day_) {
    signing_key_ = SigningKey(cred_.secret_key, day_, cred_.region, cred_.service);
    key_day_ = day_;
  }
  std::string payload_hash = body_sha256 ? *body_sha256 : Sha256Hex(body);
  std::string canonical =
      CanonicalRequest("/", kJsonContentType, host_, amz_date_, target, payload_hash);
  auto sig = Hmac(signing_key_.data(), signing_key_.size(),
                  StringToSign(amz_date_, cred_.region, cred_.service, canonical));
  authorization.clear();
  fmt::format_to(std::back_inserter(authorization),
                 "AWS4-HMAC-SHA256 Credential={}/{}/{}/{}/aws4_request, SignedHeaders={}, "
                 "Signature={}",
                 cred_.access_key, day_, cred_.region, cred_.service, kSignedHeaders,
                 Hex(sig.data(), sig.size()));
}

}  // namespace shoal::loadgen
