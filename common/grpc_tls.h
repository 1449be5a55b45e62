// TLS for edgenas's gRPC connections, from PEM files named by flags:
// servers (the coordinator) present a certificate and key; clients
// (workers, agents) verify the coordinator against a CA bundle. Empty
// paths mean plaintext, the loopback default.
#ifndef EDGENAS_COMMON_GRPC_TLS_H_
#define EDGENAS_COMMON_GRPC_TLS_H_

#include <memory>
#include <string>

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include "absl/status/statusor.h"

namespace edgenas {

// TLS channel credentials trusting the CA certificates in `ca_file`, or
// insecure credentials when it is empty. INVALID_ARGUMENT naming the file
// when it cannot be read or holds no certificate.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientCredentials(
    const std::string& ca_file);

// TLS server credentials from a PEM certificate chain and private key, or
// insecure credentials when both are empty. INVALID_ARGUMENT when only one
// is given or a file cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const std::string& cert_file, const std::string& key_file);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_GRPC_TLS_H_
