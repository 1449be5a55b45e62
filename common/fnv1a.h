// FNV-1a, 64 bits: a hash stable across builds, runs and machines (unlike
// std::hash), for fingerprints that outlive a process, such as page tokens.
// Not for security: anyone can make two texts with the same hash.
#ifndef EDGENAS_COMMON_FNV1A_H_
#define EDGENAS_COMMON_FNV1A_H_

#include <cstdint>
#include <string_view>

namespace edgenas {

// The 64-bit FNV-1a hash of `text`'s bytes.
inline uint64_t Fnv1a64(std::string_view text) {
  uint64_t hash = 14695981039346656037ull;  // the FNV-1a 64-bit offset basis
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;  // the FNV 64-bit prime
  }
  return hash;
}

}  // namespace edgenas

#endif  // EDGENAS_COMMON_FNV1A_H_
