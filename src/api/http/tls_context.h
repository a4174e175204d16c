#pragma once
// TLS for the transport: the server's OpenSSL context (certificate, key, ALPN), and the
// self-signed certificate shoal generates for local use. See docs/design/transport.md.

#include <cstdint>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/fs.h"
#include "common/status.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace shoal::api {

enum class TlsErrc {
  kIo,              // reading or writing the certificate files failed
  kCrypto,          // OpenSSL could not generate a key or certificate
  kBadCertificate,  // the certificate or key does not parse, or they do not match
};

// A certificate and its private key, PEM-encoded.
struct PemPair {
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed certificate for local use: EC P-256 key, SHA-256 signature, subject
// "CN=shoal local", SAN DNS:localhost, IP:127.0.0.1, IP:::1, valid from an hour before `now_ms`
// for kSelfSignedValidityDays. It is its own CA (basicConstraints CA:TRUE, keyCertSign), so
// clients trust it by taking the certificate file as their CA bundle.
inline constexpr int kSelfSignedValidityDays = 825;
[[nodiscard]] Result<PemPair, TlsErrc> GenerateSelfSignedCertificate(int64_t now_ms);

// The files of EnsureSelfSignedCertificate().
struct TlsFiles {
  std::string cert_path;  // <dir>/cert.pem: what clients need (AWS_CA_BUNDLE, --ca-bundle, ...)
  std::string key_path;   // <dir>/key.pem
  PemPair pem;            // their contents
  bool generated = false;  // false: the existing pair was reused
};

// Reuses <dir>/cert.pem + <dir>/key.pem when both exist, match and the certificate is valid
// for at least 30 more days at clock.NowMs(); otherwise generates a new pair and writes it
// (creating `dir`; each file written to a temporary name, synced and renamed into place).
[[nodiscard]] Result<TlsFiles, TlsErrc> EnsureSelfSignedCertificate(FileSystem& fs,
                                                                    const Clock& clock,
                                                                    const std::string& dir);

// A server context for `pem` (the certificate may be followed by its chain): TLS 1.2 or
// newer, ALPN choosing "h2" over "http/1.1" (no ALPN answer when the client offers neither,
// so the connection is sniffed like cleartext). Errors name what is wrong.
[[nodiscard]] Result<std::shared_ptr<boost::asio::ssl::context>, TlsErrc> MakeServerTlsContext(
    const PemPair& pem);

}  // namespace shoal::api
