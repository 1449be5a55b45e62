// Bearer tokens on the client side of edgenas's gRPC connections: the CLI
// sends "authorization: Bearer <token>" with every call so that the
// coordinator's SearchService (and ArtifactService downloads) know who
// calls. The token comes from --token, else EDGENAS_TOKEN; it is never
// printed or logged.
#ifndef EDGENAS_COMMON_GRPC_BEARER_H_
#define EDGENAS_COMMON_GRPC_BEARER_H_

#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace edgenas {

inline constexpr char kTokenEnv[] = "EDGENAS_TOKEN";
// The metadata key and the scheme the coordinator expects.
inline constexpr char kAuthorizationMetadata[] = "authorization";
inline constexpr char kBearerPrefix[] = "Bearer ";
inline constexpr size_t kMaxTokenChars = 4096;

// OK for 1..kMaxTokenChars printable ASCII characters without spaces
// (what fits in an HTTP/2 header value unchanged). INVALID_ARGUMENT naming
// `what` (e.g. "--token") otherwise; the message never quotes the token.
absl::Status ValidateBearerToken(absl::string_view token, absl::string_view what);

// A channel to `target` over `credentials` that adds
// "authorization: Bearer <token>" to every call's metadata, or a plain
// channel when `token` is empty. Works over TLS and plaintext alike (a
// plaintext channel sends the token in the clear: loopback only).
// `token` must have passed ValidateBearerToken.
std::shared_ptr<grpc::Channel> CreateChannelWithToken(
    const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    const std::string& token, const grpc::ChannelArguments& args = grpc::ChannelArguments());

}  // namespace edgenas

#endif  // EDGENAS_COMMON_GRPC_BEARER_H_
