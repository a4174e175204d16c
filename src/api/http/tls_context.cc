#include "api/http/tls_context.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <string_view>
#include <utility>

#include <boost/asio/ssl/context.hpp>
#include <fmt/format.h>

namespace shoal::api {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

constexpr char kCertFile[] = "cert.pem";
constexpr char kKeyFile[] = "key.pem";
constexpr int kRenewBeforeDays = 30;
constexpr std::string_view kAlpnH2 = "h2";
constexpr std::string_view kAlpnHttp11 = "http/1.1";

// The oldest queued OpenSSL error as text (and clears the queue).
std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

template <class T>
Result<T, TlsErrc> CryptoError(std::string_view what) {
  return {TlsErrc::kCrypto, fmt::format("{}: {}", what, OpenSslError())};
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

BioPtr ReadOnlyBio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

bool AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext != nullptr && X509_add_ext(cert, ext.get(), -1) == 1;
}

// A random positive 127-bit serial number.
bool SetRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return false;
  bytes[0] &= 0x7f;
  BnPtr bn(BN_bin2bn(bytes, sizeof(bytes), nullptr));
  return bn != nullptr && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr;
}

bool SetNameAndValidity(X509* cert, int64_t now_ms) {
  X509_NAME* name = X509_get_subject_name(cert);
  const auto add = [name](const char* field, const char* value) {
    return X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
                                      reinterpret_cast<const unsigned char*>(value), -1, -1,
                                      0) == 1;
  };
  if (!add("O", "shoal") || !add("CN", "shoal local")) return false;
  if (X509_set_issuer_name(cert, name) != 1) return false;
  time_t now = static_cast<time_t>(now_ms / 1000);
  return X509_time_adj_ex(X509_getm_notBefore(cert), 0, -3600, &now) != nullptr &&
         X509_time_adj_ex(X509_getm_notAfter(cert), kSelfSignedValidityDays, 0, &now) !=
             nullptr;
}

// Parses both PEM texts and checks that the key belongs to the certificate.
Result<X509Ptr, TlsErrc> ParsePair(const PemPair& pem) {
  BioPtr cert_bio = ReadOnlyBio(pem.cert_pem);
  X509Ptr cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return {TlsErrc::kBadCertificate,
            fmt::format("the certificate is not PEM: {}", OpenSslError())};
  }
  BioPtr key_bio = ReadOnlyBio(pem.key_pem);
  KeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return {TlsErrc::kBadCertificate,
            fmt::format("the private key is not PEM: {}", OpenSslError())};
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return {TlsErrc::kBadCertificate, "the private key does not match the certificate"};
  }
  return cert;
}

// True if `cert` is still valid `days` days after `now_ms`.
bool ValidFor(X509* cert, int64_t now_ms, int days) {
  time_t then = static_cast<time_t>(now_ms / 1000) + static_cast<time_t>(days) * 86400;
  return X509_cmp_time(X509_get0_notAfter(cert), &then) > 0;
}

// `secret`: only the owner may read the file (a private key).
IoStatus WriteFileAtomically(FileSystem& fs, const std::string& path, std::string_view data,
                             bool secret) {
  const std::string tmp = path + ".tmp";
  auto file = secret ? fs.CreatePrivate(tmp) : fs.Create(tmp);
  if (!file.ok()) return file.status();
  for (IoStatus st : {(*file)->Append(data), (*file)->Sync(), (*file)->Close()})
    if (!st.ok()) return st;
  return fs.Rename(tmp, path);
}

// Server side of ALPN: "h2" if offered, else "http/1.1", else no ALPN.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  for (std::string_view wanted : {kAlpnH2, kAlpnHttp11}) {
    for (unsigned int i = 0; i < inlen;) {
      const unsigned int len = in[i];
      if (i + 1 + len > inlen) break;
      const std::string_view offered(reinterpret_cast<const char*>(in + i + 1), len);
      if (offered == wanted) {
        *out = in + i + 1;
        *outlen = static_cast<unsigned char>(len);
        return SSL_TLSEXT_ERR_OK;
      }
      i += 1 + len;
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

Result<PemPair, TlsErrc> GenerateSelfSignedCertificate(int64_t now_ms) {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (key == nullptr) return CryptoError<PemPair>("cannot generate an EC P-256 key");
  X509Ptr cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), 2) != 1 || !SetRandomSerial(cert.get()) ||
      !SetNameAndValidity(cert.get(), now_ms) || X509_set_pubkey(cert.get(), key.get()) != 1) {
    return CryptoError<PemPair>("cannot fill in the certificate");
  }
  const std::pair<int, const char*> extensions[] = {
      {NID_basic_constraints, "critical,CA:TRUE"},
      {NID_key_usage, "critical,digitalSignature,keyCertSign"},
      {NID_ext_key_usage, "serverAuth"},
      {NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"},
  };
  for (const auto& [nid, value] : extensions) {
    if (!AddExtension(cert.get(), nid, value))
      return CryptoError<PemPair>(fmt::format("cannot add extension {}", OBJ_nid2sn(nid)));
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0)
    return CryptoError<PemPair>("cannot sign the certificate");
  BioPtr cert_out(BIO_new(BIO_s_mem()));
  BioPtr key_out(BIO_new(BIO_s_mem()));
  if (cert_out == nullptr || key_out == nullptr ||
      PEM_write_bio_X509(cert_out.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_out.get(), key.get(), nullptr, nullptr, 0, nullptr,
                               nullptr) != 1) {
    return CryptoError<PemPair>("cannot encode the certificate");
  }
  return PemPair{BioText(cert_out.get()), BioText(key_out.get())};
}

Result<TlsFiles, TlsErrc> EnsureSelfSignedCertificate(FileSystem& fs, const Clock& clock,
                                                      const std::string& dir) {
  TlsFiles files;
  files.cert_path = dir + "/" + kCertFile;
  files.key_path = dir + "/" + kKeyFile;
  auto cert = fs.ReadAll(files.cert_path);
  auto key = fs.ReadAll(files.key_path);
  if (cert.ok() && key.ok()) {
    files.pem = PemPair{std::move(*cert), std::move(*key)};
    auto parsed = ParsePair(files.pem);
    if (parsed.ok() && ValidFor(parsed->get(), clock.NowMs(), kRenewBeforeDays)) return files;
  }
  auto generated = GenerateSelfSignedCertificate(clock.NowMs());
  if (!generated.ok()) return generated.status();
  files.pem = std::move(*generated);
  files.generated = true;
  IoStatus st = fs.CreateDirs(dir);
  // The key first: a certificate on disk always has its key next to it.
  if (st.ok()) st = WriteFileAtomically(fs, files.key_path, files.pem.key_pem, /*secret=*/true);
  if (st.ok()) st = WriteFileAtomically(fs, files.cert_path, files.pem.cert_pem, /*secret=*/false);
  if (st.ok()) st = fs.SyncDir(dir);
  if (!st.ok()) {
    return {TlsErrc::kIo,
            fmt::format("cannot write the TLS certificate to {}: {}", dir, st.message())};
  }
  return files;
}

Result<std::shared_ptr<boost::asio::ssl::context>, TlsErrc> MakeServerTlsContext(
    const PemPair& pem) {
  using Context = boost::asio::ssl::context;
  if (auto parsed = ParsePair(pem); !parsed.ok()) return parsed.status();
  auto context = std::make_shared<Context>(Context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  boost::system::error_code ec;
  context->use_certificate_chain(boost::asio::buffer(pem.cert_pem), ec);
  if (!ec) context->use_private_key(boost::asio::buffer(pem.key_pem), Context::pem, ec);
  if (ec) {
    return {TlsErrc::kBadCertificate,
            fmt::format("cannot load the certificate and key: {}", ec.message())};
  }
  SSL_CTX_set_alpn_select_cb(ctx, &SelectAlpn, nullptr);
  return context;
}

}  // namespace shoal::api
