// Who is calling the coordinator: the client certificate of a mutual-TLS
// connection (and what it lets its holder run as) and the bearer token
// metadata, read from a gRPC call once and then judged by CoordinatorAuth
// (auth_policy.h) as plain data.
//
// Certificate convention. An executor's certificate names its role, as a
// URI subjectAltName (preferred, e.g. from cert-manager's `uris:`):
//   edgenas://worker                  an accuracy worker
//   edgenas://agent/<device_class>    a device agent for that class (one URI
//                                     per class when a board serves several)
// or, when the certificate has no edgenas:// URI at all, as its subject
// common name: "worker" or "agent:<device_class>". Other names are ignored;
// a certificate that names no role may still read artifacts but cannot
// register or act as an executor.
#ifndef EDGENAS_COORDINATOR_AUTH_AUTH_IDENTITY_H_
#define EDGENAS_COORDINATOR_AUTH_AUTH_IDENTITY_H_

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace grpc {
class ServerContextBase;
}  // namespace grpc

namespace edgenas {

inline constexpr char kWorkerUri[] = "edgenas://worker";
inline constexpr char kAgentUriPrefix[] = "edgenas://agent/";
inline constexpr char kWorkerCommonName[] = "worker";
inline constexpr char kAgentCommonNamePrefix[] = "agent:";

// The executor roles a certificate grants.
struct ExecutorGrant {
  bool worker = false;
  std::set<std::string> agent_classes;

  bool any() const { return worker || !agent_classes.empty(); }
  // "worker", "agent for rpi5", "worker and agent for jetson, rpi5", or
  // "no executor role".
  std::string Describe() const;
};

// The grant of a certificate with subject common name `common_name` and
// subjectAltNames `sans` (DNS names, URIs, ... as strings), by the
// convention above.
ExecutorGrant GrantFromNames(absl::string_view common_name, const std::vector<std::string>& sans);

// One caller of one RPC.
struct CallerInfo {
  // A client certificate was presented. The coordinator's TLS handshake
  // verifies every presented certificate against --tls_client_ca_file and
  // fails otherwise, so a presented certificate is a verified one.
  bool has_certificate = false;
  std::string certificate_sha256;  // hex digest of the leaf certificate's PEM
  std::string common_name;
  std::vector<std::string> sans;
  ExecutorGrant grant;
  // The "authorization" metadata value, when sent.
  std::optional<std::string> authorization;
  std::string peer;  // e.g. "ipv4:127.0.0.1:53412", for logs

  // For messages and logs: "certificate CN=agent:rpi5 (sha256 1a2b3c4d…)" or
  // "no client certificate". Never includes the token.
  std::string Describe() const;
};

// Reads the caller of a server call from its TLS auth context and metadata.
CallerInfo CallerFromContext(const grpc::ServerContextBase& ctx);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_AUTH_AUTH_IDENTITY_H_
