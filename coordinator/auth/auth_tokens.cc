#include "coordinator/auth/auth_tokens.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/grpc_bearer.h"

namespace edgenas {
namespace {

std::string Digest(absl::string_view token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

bool ValidUser(absl::string_view user) {
  if (user.empty() || user.size() > 64) return false;
  for (char c : user) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' &&
        c != '@' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

absl::StatusOr<TokenSet> TokenSet::Parse(absl::string_view text, absl::string_view source) {
  TokenSet set;
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_number;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    const std::string where = absl::StrCat(source, " line ", line_number);
    std::string user;
    absl::string_view token = line;
    if (const size_t colon = line.find(':'); colon != absl::string_view::npos) {
      user = std::string(absl::StripAsciiWhitespace(line.substr(0, colon)));
      token = absl::StripAsciiWhitespace(line.substr(colon + 1));
      if (!ValidUser(user)) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": the user before ':' must be 1..64 characters of [A-Za-z0-9_.@-]"));
      }
    } else {
      user = absl::StrCat("token@line", line_number);
    }
    if (absl::Status valid = ValidateBearerToken(token, where); !valid.ok()) return valid;
    if (token.size() < kMinSearchTokenChars) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": token shorter than ", kMinSearchTokenChars,
                       " characters (make one with `openssl rand -hex 32`)"));
    }
    std::string digest = Digest(token);
    for (const Entry& e : set.entries_) {
      if (e.digest == digest) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": the same token as user ", e.user, "; tokens must differ"));
      }
    }
    set.entries_.push_back(Entry{std::move(user), std::move(digest)});
  }
  if (set.entries_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": holds no token (lines \"user:token\" or \"token\")"));
  }
  return set;
}

absl::StatusOr<TokenSet> TokenSet::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat("--search_tokens_file: cannot read ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), absl::StrCat("--search_tokens_file ", path));
}

absl::StatusOr<std::string> TokenSet::Authenticate(
    std::optional<absl::string_view> authorization) const {
  if (!authorization.has_value()) {
    return absl::UnauthenticatedError(
        "this coordinator requires a bearer token: send \"authorization: Bearer <token>\" "
        "metadata (edgenas CLI: --token or $EDGENAS_TOKEN)");
  }
  absl::string_view value = *authorization;
  // The scheme is case-insensitive (RFC 7235).
  const absl::string_view prefix = kBearerPrefix;
  if (value.size() <= prefix.size() ||
      !absl::EqualsIgnoreCase(value.substr(0, prefix.size()), prefix)) {
    return absl::UnauthenticatedError(
        "authorization metadata is not \"Bearer <token>\"");
  }
  const std::string digest = Digest(absl::StripAsciiWhitespace(value.substr(prefix.size())));
  // Every entry is compared, whichever matches.
  const Entry* match = nullptr;
  for (const Entry& e : entries_) {
    if (ConstantTimeEquals(e.digest, digest)) match = &e;
  }
  if (match == nullptr) return absl::UnauthenticatedError("unknown bearer token");
  return match->user;
}

}  // namespace edgenas
