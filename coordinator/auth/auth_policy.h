// CoordinatorAuth: who may call what on the coordinator. One object, built
// from the coordinator's flags, answers for every RPC from a CallerInfo
// (auth_identity.h); the services call it first and refuse with its status.
//
// Mutual TLS (--tls_client_ca_file) guards the executors' services:
//  - TaskService: every call needs a client certificate (UNAUTHENTICATED
//    without one). Register needs a certificate granting the role asked for
//    (a WORKER needs a worker grant, a DEVICE_AGENT one for its
//    device_class), else PERMISSION_DENIED saying what the certificate
//    grants. The executor id then belongs to that certificate: Lease,
//    Heartbeat, Complete, Fail and PutLatencyTable from any other
//    certificate are PERMISSION_DENIED. Executors registered before a
//    coordinator restart keep their ids (in the database) and stay bound
//    to the certificate that registered them (its fingerprint is stored
//    with the executor): only that certificate may act for them, so
//    in-flight work is not lost and no other certificate can take the id
//    over. An executor stored without a fingerprint (by an older build) is
//    claimed by the first certificate whose grant matches its kind and
//    device class.
//  - ArtifactService: Upload needs a certificate with an executor role;
//    Download and Stat need any client certificate or a valid search token
//    (so that `edgenas export` works with a token alone).
// Without mutual TLS both are open, as before (the coordinator warns when it
// listens beyond loopback).
//
// Search tokens (--search_tokens_file) guard SearchService: every call needs
// "authorization: Bearer <token>" naming a known token (UNAUTHENTICATED
// otherwise). Without a tokens file SearchService is open.
//
// The server asks for client certificates but does not demand them at the
// handshake, so CLI users need no certificate; a certificate from another CA
// fails the handshake (see ServerCredentials in common/grpc_tls.h).
#ifndef EDGENAS_COORDINATOR_AUTH_AUTH_POLICY_H_
#define EDGENAS_COORDINATOR_AUTH_AUTH_POLICY_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "coordinator/auth/auth_identity.h"
#include "coordinator/auth/auth_tokens.h"

namespace edgenas {

enum class ExecutorRole { kWorker, kAgent, kUnknown };

// What an executor registered as (kept in the database across restarts).
struct RegisteredExecutor {
  ExecutorRole role = ExecutorRole::kUnknown;
  std::string device_class;
  // The certificate (CallerInfo::certificate_sha256) that registered it, as
  // stored; "" for an executor stored by an older build or without mutual
  // TLS.
  std::string owner_identity;
};

struct AuthOptions {
  // --tls_client_ca_file was given: executors must present certificates.
  bool mutual_tls = false;
  // --search_tokens_file was given.
  std::optional<TokenSet> search_tokens;
  // Executors known from the database at start-up, by id.
  std::map<std::string, RegisteredExecutor> registered_before_start;
};

class CoordinatorAuth {
 public:
  explicit CoordinatorAuth(AuthOptions options);

  bool mutual_tls() const { return options_.mutual_tls; }
  bool search_tokens() const { return options_.search_tokens.has_value(); }

  // SearchService: the caller's user name ("" when tokens are off).
  absl::StatusOr<std::string> AuthorizeSearch(const CallerInfo& caller) const;

  // TaskService.Register for `role` (kUnknown: a kind the job manager will
  // refuse anyway) and `device_class`.
  absl::Status AuthorizeRegister(const CallerInfo& caller, ExecutorRole role,
                                 const std::string& device_class) const;
  // Records that `executor_id` was just registered by `caller`.
  void BindExecutor(const std::string& executor_id, const CallerInfo& caller);
  // Every other TaskService call naming `executor_id`. NOT_FOUND ("register
  // again") for an id neither registered since start-up nor before it.
  absl::Status AuthorizeExecutorCall(const CallerInfo& caller, const std::string& executor_id);

  absl::Status AuthorizeArtifactUpload(const CallerInfo& caller) const;
  absl::Status AuthorizeArtifactRead(const CallerInfo& caller) const;

 private:
  absl::Status NeedCertificate(const CallerInfo& caller, const char* service) const;

  const AuthOptions options_;
  absl::Mutex mu_;
  // Executor id -> the certificate that registered (or claimed) it.
  struct Owner {
    std::string certificate_sha256;
    std::string described;  // CallerInfo::Describe(), for refusals
  };
  std::map<std::string, Owner> owners_ ABSL_GUARDED_BY(mu_);
};

// Loud warnings for a coordinator bound to `listen` with the given
// protections; empty on loopback. One line per missing protection.
std::vector<std::string> ExposureWarnings(const std::string& listen, bool tls, bool mutual_tls,
                                          bool search_tokens);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_AUTH_AUTH_POLICY_H_
