#include "common/md5.h"

#include <openssl/md5.h>

namespace shoal {

uint128 Md5HashKey(std::string_view data) {
  unsigned char digest[MD5_DIGEST_LENGTH];
  // The one-shot MD5() is deprecated in OpenSSL 3 only as a "low-level" API; EVP costs an
  // allocation per call, which matters at millions of keys per second.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  MD5(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
#pragma GCC diagnostic pop
  return Uint128FromBigEndian(digest);
}

}  // namespace shoal
