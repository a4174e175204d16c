#include "api/http/tls_context.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/mem_fs.h"

namespace shoal::api {
namespace {

constexpr int64_t kDayMs = 86'400'000;

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr ParseCert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

// Seconds from `now_ms` to `t` (negative: before).
int64_t SecondsFrom(int64_t now_ms, const ASN1_TIME* t) {
  time_t now = static_cast<time_t>(now_ms / 1000);
  ASN1_TIME* base = ASN1_TIME_set(nullptr, now);
  int days = 0;
  int seconds = 0;
  ASN1_TIME_diff(&days, &seconds, base, t);
  ASN1_TIME_free(base);
  return int64_t{days} * 86400 + seconds;
}

TEST(TlsContextTest, GeneratedCertificateIsForLocalNamesAndSelfSigned) {
  const int64_t now = 1'700'000'000'000;
  auto pem = GenerateSelfSignedCertificate(now);
  ASSERT_TRUE(pem.ok()) << pem.message();
  X509Ptr cert = ParseCert(pem->cert_pem);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
  EXPECT_NE(X509_check_host(cert.get(), "example.com", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_ip_asc(cert.get(), "10.0.0.1", 0), 1);
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
  EXPECT_EQ(EVP_PKEY_get_bits(key), 256);
  EXPECT_EQ(X509_verify(cert.get(), key), 1);  // signed by its own key
  EXPECT_EQ(X509_check_ca(cert.get()), 1);     // usable as the trust anchor clients load
  EXPECT_EQ(SecondsFrom(now, X509_get0_notBefore(cert.get())), -3600);
  EXPECT_EQ(SecondsFrom(now, X509_get0_notAfter(cert.get())),
            int64_t{kSelfSignedValidityDays} * 86400);
  // Another generation: another key and serial.
  auto other = GenerateSelfSignedCertificate(now);
  ASSERT_TRUE(other.ok());
  X509Ptr other_cert = ParseCert(other->cert_pem);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(cert.get()),
                             X509_get0_serialNumber(other_cert.get())),
            0);
  EXPECT_NE(pem->key_pem, other->key_pem);
}

TEST(TlsContextTest, EnsureGeneratesOnceAndReusesTheFiles) {
  MemFileSystem fs;
  FakeClock clock;
  auto first = EnsureSelfSignedCertificate(fs, clock, "/data/tls");
  ASSERT_TRUE(first.ok()) << first.message();
  EXPECT_TRUE(first->generated);
  EXPECT_EQ(first->cert_path, "/data/tls/cert.pem");
  EXPECT_EQ(first->key_path, "/data/tls/key.pem");
  auto on_disk = fs.ReadAll(first->cert_path);
  ASSERT_TRUE(on_disk.ok());
  EXPECT_EQ(*on_disk, first->pem.cert_pem);
  EXPECT_TRUE(fs.IsPrivate(first->key_path)) << "the private key must be readable by its owner only";
  EXPECT_FALSE(fs.IsPrivate(first->cert_path));
  clock.AdvanceMs(100 * kDayMs);
  auto second = EnsureSelfSignedCertificate(fs, clock, "/data/tls");
  ASSERT_TRUE(second.ok()) << second.message();
  EXPECT_FALSE(second->generated);
  EXPECT_EQ(second->pem.cert_pem, first->pem.cert_pem);
  EXPECT_EQ(second->pem.key_pem, first->pem.key_pem);
}

TEST(TlsContextTest, EnsureRenewsACertificateAboutToExpire) {
  MemFileSystem fs;
  FakeClock clock;
  auto first = EnsureSelfSignedCertificate(fs, clock, "/tls");
  ASSERT_TRUE(first.ok()) << first.message();
  clock.AdvanceMs(int64_t{kSelfSignedValidityDays - 29} * kDayMs);  // < 30 days left
  auto renewed = EnsureSelfSignedCertificate(fs, clock, "/tls");
  ASSERT_TRUE(renewed.ok()) << renewed.message();
  EXPECT_TRUE(renewed->generated);
  EXPECT_NE(renewed->pem.cert_pem, first->pem.cert_pem);
  X509Ptr cert = ParseCert(*fs.ReadAll("/tls/cert.pem"));
  ASSERT_NE(cert, nullptr);
  EXPECT_GT(SecondsFrom(clock.NowMs(), X509_get0_notAfter(cert.get())), 800 * 86400);
}

TEST(TlsContextTest, EnsureReplacesAMismatchedOrCorruptPair) {
  MemFileSystem fs;
  FakeClock clock;
  auto first = EnsureSelfSignedCertificate(fs, clock, "/tls");
  ASSERT_TRUE(first.ok());
  auto stranger = GenerateSelfSignedCertificate(clock.NowMs());
  ASSERT_TRUE(stranger.ok());
  {
    auto file = fs.Create("/tls/key.pem");
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Append(stranger->key_pem).ok());
    ASSERT_TRUE((*file)->Close().ok());
  }
  auto replaced = EnsureSelfSignedCertificate(fs, clock, "/tls");
  ASSERT_TRUE(replaced.ok());
  EXPECT_TRUE(replaced->generated);
  {
    auto file = fs.Create("/tls/cert.pem");
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Append("not a certificate").ok());
    ASSERT_TRUE((*file)->Close().ok());
  }
  auto again = EnsureSelfSignedCertificate(fs, clock, "/tls");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->generated);
  EXPECT_TRUE(MakeServerTlsContext(again->pem).ok());
}

TEST(TlsContextTest, ServerContextRejectsBadCertificatesAndMismatchedKeys) {
  auto a = GenerateSelfSignedCertificate(1'700'000'000'000);
  auto b = GenerateSelfSignedCertificate(1'700'000'000'000);
  ASSERT_TRUE(a.ok() && b.ok());
  auto ok = MakeServerTlsContext(*a);
  ASSERT_TRUE(ok.ok()) << ok.message();
  EXPECT_NE(*ok, nullptr);
  auto mismatched = MakeServerTlsContext(PemPair{a->cert_pem, b->key_pem});
  ASSERT_FALSE(mismatched.ok());
  EXPECT_EQ(mismatched.code(), TlsErrc::kBadCertificate);
  EXPECT_NE(mismatched.message().find("does not match"), std::string::npos)
      << mismatched.message();
  auto garbage = MakeServerTlsContext(PemPair{"garbage", a->key_pem});
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.code(), TlsErrc::kBadCertificate);
  auto no_key = MakeServerTlsContext(PemPair{a->cert_pem, ""});
  ASSERT_FALSE(no_key.ok());
  EXPECT_EQ(no_key.code(), TlsErrc::kBadCertificate);
}

}  // namespace
}  // namespace shoal::api
