// TestPki: a throwaway certificate authority and certificates made with the
// openssl command-line tool in a test's folder, for TLS and mutual-TLS
// tests. Keys are P-256 (quick to make); certificates live one day.
#ifndef EDGENAS_TESTS_COMMON_TEST_PKI_H_
#define EDGENAS_TESTS_COMMON_TEST_PKI_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace edgenas::testing {

class TestPki {
 public:
  // Certificates and keys go to `dir` (which must exist).
  explicit TestPki(std::string dir) : dir_(std::move(dir)) {}

  // True when `openssl version` runs (tests skip otherwise).
  static bool OpensslAvailable();

  // A self-signed CA certificate <name>.crt with key <name>.key.
  absl::Status MakeCa(const std::string& name);
  // A certificate <name>.crt (key <name>.key) signed by CA `ca`, with
  // subject CN `common_name` and subjectAltNames in openssl syntax
  // ("IP:127.0.0.1", "DNS:localhost", "URI:edgenas://worker"); none when
  // empty. Usable for both server and client authentication.
  absl::Status MakeLeaf(const std::string& name, const std::string& ca,
                        const std::string& common_name, const std::vector<std::string>& sans);

  std::string Cert(const std::string& name) const { return dir_ + "/" + name + ".crt"; }
  std::string Key(const std::string& name) const { return dir_ + "/" + name + ".key"; }

 private:
  // Runs `command` with its output in <dir>/openssl.log; the error quotes it.
  absl::Status Run(const std::string& command) const;

  std::string dir_;
};

}  // namespace edgenas::testing

#endif  // EDGENAS_TESTS_COMMON_TEST_PKI_H_
