#include "coordinator/auth/auth_policy.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc_tls.h"
#include "common/logging.h"

namespace edgenas {
namespace {

constexpr char kLog[] = "auth";

const char* RoleName(ExecutorRole role) {
  switch (role) {
    case ExecutorRole::kWorker:
      return "WORKER";
    case ExecutorRole::kAgent:
      return "DEVICE_AGENT";
    case ExecutorRole::kUnknown:
      break;
  }
  return "unknown kind";
}

bool Grants(const ExecutorGrant& grant, ExecutorRole role, const std::string& device_class) {
  switch (role) {
    case ExecutorRole::kWorker:
      return grant.worker;
    case ExecutorRole::kAgent:
      return grant.agent_classes.count(device_class) > 0;
    case ExecutorRole::kUnknown:
      break;
  }
  return false;
}

}  // namespace

CoordinatorAuth::CoordinatorAuth(AuthOptions options) : options_(std::move(options)) {}

absl::Status CoordinatorAuth::NeedCertificate(const CallerInfo& caller,
                                              const char* service) const {
  if (caller.has_certificate) return absl::OkStatus();
  return absl::UnauthenticatedError(absl::StrCat(
      service,
      " requires a client certificate: this coordinator runs mutual TLS "
      "(--tls_client_ca_file); give the executor --tls_cert_file and --tls_key_file signed by "
      "that CA"));
}

absl::StatusOr<std::string> CoordinatorAuth::AuthorizeSearch(const CallerInfo& caller) const {
  if (!options_.search_tokens.has_value()) return std::string();
  std::optional<absl::string_view> authorization;
  if (caller.authorization.has_value()) authorization = *caller.authorization;
  return options_.search_tokens->Authenticate(authorization);
}

absl::Status CoordinatorAuth::AuthorizeRegister(const CallerInfo& caller, ExecutorRole role,
                                                const std::string& device_class) const {
  if (!options_.mutual_tls) return absl::OkStatus();
  if (absl::Status s = NeedCertificate(caller, "TaskService"); !s.ok()) return s;
  if (role == ExecutorRole::kUnknown || Grants(caller.grant, role, device_class)) {
    return absl::OkStatus();
  }
  const std::string wanted =
      role == ExecutorRole::kWorker
          ? absl::StrCat("a WORKER needs a certificate naming ", kWorkerUri, " (or CN=",
                         kWorkerCommonName, ")")
          : absl::StrCat("a DEVICE_AGENT for device_class \"", device_class,
                         "\" needs a certificate naming ", kAgentUriPrefix, device_class,
                         " (or CN=", kAgentCommonNamePrefix, device_class, ")");
  return absl::PermissionDeniedError(absl::StrCat(
      "register refused: ", wanted, "; this ", caller.Describe(), " grants ",
      caller.grant.Describe()));
}

void CoordinatorAuth::BindExecutor(const std::string& executor_id, const CallerInfo& caller) {
  if (!options_.mutual_tls) return;
  absl::MutexLock lock(&mu_);
  owners_[executor_id] = Owner{caller.certificate_sha256, caller.Describe()};
}

absl::Status CoordinatorAuth::AuthorizeExecutorCall(const CallerInfo& caller,
                                                    const std::string& executor_id) {
  if (!options_.mutual_tls) return absl::OkStatus();
  if (absl::Status s = NeedCertificate(caller, "TaskService"); !s.ok()) return s;
  const std::string shown_id = executor_id.substr(0, 100);
  absl::MutexLock lock(&mu_);
  auto owner = owners_.find(executor_id);
  if (owner != owners_.end()) {
    if (owner->second.certificate_sha256 == caller.certificate_sha256) return absl::OkStatus();
    return absl::PermissionDeniedError(absl::StrCat(
        "executor_id \"", shown_id, "\" belongs to the ", owner->second.described,
        " that registered it; this ", caller.Describe(), " may not act for it (register with "
        "your own certificate)"));
  }
  auto before = options_.registered_before_start.find(executor_id);
  if (before == options_.registered_before_start.end()) {
    return absl::NotFoundError(
        absl::StrCat("executor_id: unknown executor \"", shown_id, "\"; register again"));
  }
  // Registered before this coordinator started: bound to the certificate
  // that registered it, when stored; an older record, to the first
  // certificate whose grant matches what the executor registered as.
  const RegisteredExecutor& registered = before->second;
  if (!registered.owner_identity.empty() &&
      registered.owner_identity != caller.certificate_sha256) {
    return absl::PermissionDeniedError(absl::StrCat(
        "executor_id \"", shown_id, "\" is bound to the certificate that registered it; this ",
        caller.Describe(), " may not act for it (register with your own certificate)"));
  }
  if (!Grants(caller.grant, registered.role, registered.device_class)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "executor_id \"", shown_id, "\" is a ", RoleName(registered.role),
        registered.role == ExecutorRole::kAgent
            ? absl::StrCat(" for device_class \"", registered.device_class, "\"")
            : std::string(),
        "; this ", caller.Describe(), " grants ", caller.grant.Describe()));
  }
  owners_[executor_id] = Owner{caller.certificate_sha256, caller.Describe()};
  EDGENAS_LOG(kInfo, kLog, "executor ", shown_id, " (registered before the restart) claimed by ",
              caller.Describe(), " from ", caller.peer);
  return absl::OkStatus();
}

absl::Status CoordinatorAuth::AuthorizeArtifactUpload(const CallerInfo& caller) const {
  if (!options_.mutual_tls) return absl::OkStatus();
  if (absl::Status s = NeedCertificate(caller, "ArtifactService.Upload"); !s.ok()) return s;
  if (caller.grant.any()) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "ArtifactService.Upload: only executors upload; this ", caller.Describe(),
      " names no executor role (", kWorkerUri, " or ", kAgentUriPrefix, "<device_class>)"));
}

absl::Status CoordinatorAuth::AuthorizeArtifactRead(const CallerInfo& caller) const {
  if (!options_.mutual_tls) return absl::OkStatus();
  if (caller.has_certificate) return absl::OkStatus();
  if (options_.search_tokens.has_value()) return AuthorizeSearch(caller).status();
  return absl::UnauthenticatedError(
      "ArtifactService requires a client certificate: this coordinator runs mutual TLS "
      "(--tls_client_ca_file) and accepts no search tokens");
}

std::vector<std::string> ExposureWarnings(const std::string& listen, bool tls, bool mutual_tls,
                                          bool search_tokens) {
  std::vector<std::string> warnings;
  if (IsLoopbackListenAddress(listen)) return warnings;
  if (!tls) {
    warnings.push_back(absl::StrCat(
        "WARNING: listening on ", listen,
        " beyond loopback WITHOUT TLS: traffic (job specs, results, any bearer token) is "
        "readable and forgeable on the network; pass --tls_cert_file and --tls_key_file"));
  }
  if (!mutual_tls) {
    warnings.push_back(absl::StrCat(
        "WARNING: listening on ", listen,
        " beyond loopback WITHOUT client certificates: anyone who reaches this port can "
        "register as a worker or device agent, take tasks and report results; pass "
        "--tls_client_ca_file"));
  }
  if (!search_tokens) {
    warnings.push_back(absl::StrCat(
        "WARNING: listening on ", listen,
        " beyond loopback WITHOUT search tokens: anyone who reaches this port can submit, "
        "read and cancel jobs; pass --search_tokens_file"));
  }
  return warnings;
}

}  // namespace edgenas
