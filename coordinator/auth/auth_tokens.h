// Bearer tokens for the coordinator's SearchService, from the file named by
// --search_tokens_file. One token per line, either "user:token" (the log
// then says which user submitted or cancelled a job) or a bare "token"
// (its user is "token@line<N>"); blank lines and lines starting with '#'
// are skipped. A line holding ':' is always "user:token". Users are
// [A-Za-z0-9_.@-]{1,64}; tokens are 16..4096 printable ASCII characters
// without spaces; a token may appear once. Only SHA-256 digests of the
// tokens are kept, and a presented token is compared with every digest in
// constant time (no early exit, no dependence on where it differs).
#ifndef EDGENAS_COORDINATOR_AUTH_AUTH_TOKENS_H_
#define EDGENAS_COORDINATOR_AUTH_AUTH_TOKENS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace edgenas {

inline constexpr size_t kMinSearchTokenChars = 16;

class TokenSet {
 public:
  // Parses the file's text; `source` names it in errors, which say the line
  // and never quote a token. INVALID_ARGUMENT for a malformed line, a short
  // or repeated token, or a file without any token.
  static absl::StatusOr<TokenSet> Parse(absl::string_view text, absl::string_view source);
  // Reads and parses `path` (INVALID_ARGUMENT naming --search_tokens_file
  // when it cannot be read).
  static absl::StatusOr<TokenSet> Load(const std::string& path);

  // The user whose token `authorization` (the value of the call's
  // "authorization" metadata, "Bearer <token>") carries. UNAUTHENTICATED
  // when it is missing, not a Bearer value, or no known token; the message
  // says which, never echoing the token.
  absl::StatusOr<std::string> Authenticate(std::optional<absl::string_view> authorization) const;

  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string user;
    std::string digest;  // SHA-256 of the token, 32 raw bytes
  };
  std::vector<Entry> entries_;
};

// True when the two byte strings are equal; for equal sizes the time taken
// does not depend on their contents.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_AUTH_AUTH_TOKENS_H_
