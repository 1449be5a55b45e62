// TLS for edgenas's gRPC connections, from PEM files named by flags:
// servers (the coordinator) present a certificate and key and, for mutual
// TLS, verify client certificates against a CA bundle; clients (workers,
// agents, the CLI) verify the coordinator against a CA bundle and may
// present a certificate of their own. Empty paths mean plaintext, the
// loopback default. Clients read EDGENAS_TLS_CA_FILE, EDGENAS_TLS_CERT_FILE
// and EDGENAS_TLS_KEY_FILE when the flag is empty (FlagOrEnv).
#ifndef EDGENAS_COMMON_GRPC_TLS_H_
#define EDGENAS_COMMON_GRPC_TLS_H_

#include <memory>
#include <string>

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include "absl/status/statusor.h"

namespace edgenas {

inline constexpr char kTlsCaFileEnv[] = "EDGENAS_TLS_CA_FILE";
inline constexpr char kTlsCertFileEnv[] = "EDGENAS_TLS_CERT_FILE";
inline constexpr char kTlsKeyFileEnv[] = "EDGENAS_TLS_KEY_FILE";

// `flag` when it is not empty, else the value of the environment variable
// `env_name` ("" when unset).
std::string FlagOrEnv(const std::string& flag, const char* env_name);

// A client's TLS files (all PEM). ca_file empty: plaintext. cert_file and
// key_file: the client certificate for mutual TLS (both or neither; they
// need ca_file).
struct ClientTlsFiles {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

// The three flags, each falling back to its EDGENAS_TLS_* variable.
ClientTlsFiles ClientTlsFilesFromFlagsOrEnv(const std::string& ca_flag,
                                            const std::string& cert_flag,
                                            const std::string& key_flag);

// TLS channel credentials trusting the CA certificates in files.ca_file and
// presenting files.cert_file/key_file when given, or insecure credentials
// when ca_file is empty. INVALID_ARGUMENT naming the flag (--tls_ca_file,
// --tls_cert_file, --tls_key_file) when a file cannot be read or holds no
// PEM block, when only one of cert and key is given, or when a client
// certificate is given without a CA.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientCredentials(
    const ClientTlsFiles& files);
// The same with a CA file only (no client certificate).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientCredentials(
    const std::string& ca_file);

// TLS server credentials from a PEM certificate chain and private key, or
// insecure credentials when both are empty. INVALID_ARGUMENT when only one
// is given or a file cannot be read.
//
// With `client_ca_file` (mutual TLS) the server asks every client for a
// certificate and verifies one that is presented against that CA bundle
// (GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY): a certificate from
// another CA fails the handshake, while a client without one still
// connects, so that CLI users can authenticate with a bearer token alone.
// Services that need a certificate refuse such callers themselves
// (coordinator/auth/auth_policy.h). client_ca_file needs cert_file and key_file.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const std::string& cert_file, const std::string& key_file,
    const std::string& client_ca_file = "");

// True when a server bound to `address` ("host:port" as given to
// --listen) is reachable from this host only: 127.0.0.0/8, "localhost",
// [::1], or a unix: socket. False for 0.0.0.0, [::], an empty host, and
// every other name or address.
bool IsLoopbackListenAddress(const std::string& address);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_GRPC_TLS_H_
