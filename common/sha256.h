// SHA-256 of byte strings, as lower-case hex: the content address of
// artifacts (checkpoints) on both the coordinator and the workers.
// Torch-free and protobuf-free; OpenSSL stays out of this header.
#ifndef EDGENAS_COMMON_SHA256_H_
#define EDGENAS_COMMON_SHA256_H_

#include <string>

#include "absl/strings/string_view.h"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace edgenas {

// The SHA-256 of `bytes` as 64 lower-case hex digits.
std::string Sha256Hex(absl::string_view bytes);

// True for exactly 64 characters of [0-9a-f] (what Sha256Hex returns).
bool IsSha256Hex(absl::string_view text);

// Incremental SHA-256 for content that arrives in pieces. Not thread-safe.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  // Adds `bytes` to the content hashed so far.
  void Update(absl::string_view bytes);
  // The hash of everything passed to Update, as 64 lower-case hex digits.
  // Call once; the hasher must not be used afterwards.
  std::string FinishHex();

 private:
  evp_md_ctx_st* ctx_;
};

}  // namespace edgenas

#endif  // EDGENAS_COMMON_SHA256_H_
