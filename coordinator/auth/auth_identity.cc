#include "coordinator/auth/auth_identity.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>
#include <grpcpp/server_context.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/grpc_bearer.h"
#include "common/sha256.h"

namespace edgenas {
namespace {

std::string ToString(const grpc::string_ref& ref) { return std::string(ref.data(), ref.size()); }

}  // namespace

std::string ExecutorGrant::Describe() const {
  std::string agent =
      agent_classes.empty() ? "" : absl::StrCat("agent for ", absl::StrJoin(agent_classes, ", "));
  if (worker && !agent.empty()) return absl::StrCat("worker and ", agent);
  if (worker) return "worker";
  if (!agent.empty()) return agent;
  return "no executor role";
}

ExecutorGrant GrantFromNames(absl::string_view common_name, const std::vector<std::string>& sans) {
  ExecutorGrant grant;
  bool any_uri = false;
  for (const std::string& san : sans) {
    if (!absl::StartsWith(san, "edgenas://")) continue;
    any_uri = true;
    if (san == kWorkerUri) {
      grant.worker = true;
    } else if (absl::StartsWith(san, kAgentUriPrefix) &&
               san.size() > sizeof(kAgentUriPrefix) - 1) {
      grant.agent_classes.insert(san.substr(sizeof(kAgentUriPrefix) - 1));
    }
  }
  if (any_uri) return grant;
  if (common_name == kWorkerCommonName) {
    grant.worker = true;
  } else if (absl::StartsWith(common_name, kAgentCommonNamePrefix) &&
             common_name.size() > sizeof(kAgentCommonNamePrefix) - 1) {
    grant.agent_classes.insert(
        std::string(common_name.substr(sizeof(kAgentCommonNamePrefix) - 1)));
  }
  return grant;
}

std::string CallerInfo::Describe() const {
  if (!has_certificate) return "no client certificate";
  return absl::StrCat("certificate CN=", common_name.empty() ? "(none)" : common_name,
                      " (sha256 ", certificate_sha256.substr(0, 16), "...)");
}

CallerInfo CallerFromContext(const grpc::ServerContextBase& ctx) {
  CallerInfo caller;
  caller.peer = ctx.peer();
  std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context();
  if (auth != nullptr) {
    std::vector<grpc::string_ref> pem = auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
    if (!pem.empty() && pem.front().size() > 0) {
      caller.has_certificate = true;
      caller.certificate_sha256 = Sha256Hex(absl::string_view(pem.front().data(), pem.front().size()));
      std::vector<grpc::string_ref> cn = auth->FindPropertyValues(GRPC_X509_CN_PROPERTY_NAME);
      if (!cn.empty()) caller.common_name = ToString(cn.front());
      for (const grpc::string_ref& san : auth->FindPropertyValues(GRPC_X509_SAN_PROPERTY_NAME)) {
        caller.sans.push_back(ToString(san));
      }
      caller.grant = GrantFromNames(caller.common_name, caller.sans);
    }
  }
  const auto& metadata = ctx.client_metadata();
  if (auto it = metadata.find(kAuthorizationMetadata); it != metadata.end()) {
    caller.authorization = ToString(it->second);
  }
  return caller;
}

}  // namespace edgenas
